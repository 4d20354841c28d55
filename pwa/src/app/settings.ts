/** Device preferences (not clinical): language, theme, idle lock, on duty, alerts. Kept in localStorage so the first paint is right. */
import { useEffect, useState } from 'preact/hooks';

export type Lang = 'en' | 'es';
export type Theme = 'light' | 'dark';

export interface Settings {
  lang: Lang;
  theme: Theme;
  /** Minutes without a touch before the app locks itself. */
  idleMinutes: number;
  onDuty: boolean;
  /** Web Push wanted on this device ("Alerts on this device"): a sign-in subscribes again only while it is. */
  alerts: boolean;
}

export const DEFAULT_IDLE_MINUTES = 5;
const STORAGE_KEY = 'heart.settings';

function load(): Settings {
  const defaults: Settings = {
    lang: globalThis.navigator?.language?.startsWith('es') ? 'es' : 'en',
    theme: globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light',
    idleMinutes: DEFAULT_IDLE_MINUTES,
    onDuty: false,
    alerts: true,
  };
  try {
    const raw = globalThis.localStorage?.getItem(STORAGE_KEY);
    return raw ? { ...defaults, ...(JSON.parse(raw) as Partial<Settings>) } : defaults;
  } catch {
    return defaults;
  }
}

let settings = load();
const listeners = new Set<() => void>();

export function getSettings(): Settings {
  return settings;
}

export function updateSettings(p: Partial<Settings>): void {
  settings = { ...settings, ...p };
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(settings));
  } catch {
    /* private mode: keep in memory */
  }
  applyDocumentSettings();
  for (const l of listeners) l();
}

export function applyDocumentSettings(): void {
  if (typeof document === 'undefined') return;
  document.documentElement.dataset.theme = settings.theme;
  document.documentElement.lang = settings.lang;
}

export function onSettingsChange(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function useSettings(): Settings {
  const [s, set] = useState(settings);
  useEffect(() => {
    const l = () => set(settings);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return s;
}
