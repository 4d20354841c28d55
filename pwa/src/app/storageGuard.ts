/** Storage guard: persistence, estimate, installed or not, low space. */
export interface StorageInfo {
  persisted: boolean | null;
  usage: number | null;
  quota: number | null;
  installed: boolean;
  low: boolean;
}

/** Warn when less than this is left... */
export const LOW_FREE_BYTES = 50 * 1024 * 1024;
/** ...or when this share of the quota is used. */
export const LOW_USED_RATIO = 0.9;

export function isInstalled(): boolean {
  const nav = navigator as Navigator & { standalone?: boolean };
  return Boolean(globalThis.matchMedia?.('(display-mode: standalone)').matches || nav.standalone);
}

export async function storageInfo(): Promise<StorageInfo> {
  const st = navigator.storage;
  const persisted = st?.persisted ? await st.persisted().catch(() => null) : null;
  const est = st?.estimate ? await st.estimate().catch(() => null) : null;
  const usage = est?.usage ?? null;
  const quota = est?.quota ?? null;
  const low = usage !== null && quota !== null && quota > 0 && (quota - usage < LOW_FREE_BYTES || usage / quota > LOW_USED_RATIO);
  return { persisted, usage, quota, installed: isInstalled(), low };
}

/** Asks for persistent storage (granted silently when installed, on Chromium and Safari). */
export async function requestPersist(): Promise<boolean> {
  return (await navigator.storage?.persist?.().catch(() => false)) ?? false;
}

export function formatBytes(n: number | null): string {
  if (n === null) return '?';
  if (n < 1024 * 1024) return `${Math.max(1, Math.round(n / 1024))} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}
