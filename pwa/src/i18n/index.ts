/** The one translation table. Components call t('key', {params}); no literal text in components. */
import { en, type Key } from './en';
import { es } from './es';
import { getSettings, useSettings, type Lang } from '../app/settings';

export type { Key };
export const TABLES: Record<Lang, Record<Key, string>> = { en, es };

export type Params = Record<string, string | number>;

export function translate(lang: Lang, key: Key, params?: Params): string {
  const text = TABLES[lang][key] ?? en[key];
  return params ? text.replace(/\{(\w+)\}/g, (m, p: string) => (p in params ? String(params[p]) : m)) : text;
}

export type T = (key: Key, params?: Params) => string;

/** Translator for the current language; re-renders on language change. */
export function useT(): T {
  const { lang } = useSettings();
  return (key, params) => translate(lang, key, params);
}

export function t(key: Key, params?: Params): string {
  return translate(getSettings().lang, key, params);
}

/** Local time (hh:mm) in the current language. */
export function formatTime(iso: string | number | null | undefined, lang: Lang = getSettings().lang): string {
  if (iso === null || iso === undefined || iso === '') return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleTimeString(lang === 'es' ? 'es-US' : 'en-US', { hour: '2-digit', minute: '2-digit' });
}

export function formatDateTime(iso: string | number | null | undefined, lang: Lang = getSettings().lang): string {
  if (iso === null || iso === undefined || iso === '') return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(lang === 'es' ? 'es-US' : 'en-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
