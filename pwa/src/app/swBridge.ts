/**
 * Page side of the service worker. Registers /sw.js (production builds only), tells the app when
 * an update waits, and applies it (SKIP_WAITING, then reload) only when asked: the update banner
 * asks only when the outbox is empty or the person confirms. Relays Background Sync to the app.
 */
export const BG_SYNC_TAG = 'heart-sync';
/** Look for a new version every 30 minutes while open. */
const UPDATE_CHECK_MS = 30 * 60_000;

let waiting: ServiceWorker | null = null;
let reloading = false;
const listeners = new Set<() => void>();

export function updateWaiting(): boolean {
  return waiting !== null;
}

export function onUpdateChange(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

function setWaiting(w: ServiceWorker): void {
  waiting = w;
  for (const l of listeners) l();
}

export function registerServiceWorker(onSyncRequest: () => void): void {
  if (!('serviceWorker' in navigator) || !import.meta.env.PROD) return;
  const sw = navigator.serviceWorker;
  sw.addEventListener('message', (e: MessageEvent<{ type?: string }>) => {
    if (e.data?.type === 'SYNC') onSyncRequest();
  });
  sw.addEventListener('controllerchange', () => {
    if (reloading) window.location.reload();
  });
  void sw.register('/sw.js', { scope: '/' }).then((reg) => {
    if (reg.waiting && sw.controller) setWaiting(reg.waiting);
    reg.addEventListener('updatefound', () => {
      const next = reg.installing;
      next?.addEventListener('statechange', () => {
        if (next.state === 'installed' && sw.controller) setWaiting(next);
      });
    });
    setInterval(() => void reg.update().catch(() => undefined), UPDATE_CHECK_MS);
  });
}

/** Lets the waiting worker take over; the page reloads on controllerchange. */
export function applyUpdate(): void {
  if (!waiting) return;
  reloading = true;
  waiting.postMessage({ type: 'SKIP_WAITING' });
}

interface SyncRegistration extends ServiceWorkerRegistration {
  sync?: { register(tag: string): Promise<void> };
}

/** Asks the browser to wake us when connectivity returns (Chromium's Background Sync). */
export async function requestBackgroundSync(): Promise<void> {
  if (!('serviceWorker' in navigator) || !import.meta.env.PROD) return;
  try {
    const reg = (await navigator.serviceWorker.ready) as SyncRegistration;
    await reg.sync?.register(BG_SYNC_TAG);
  } catch {
    /* not supported or not allowed: the online event and the timer still run */
  }
}
