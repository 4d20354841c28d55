/** Wires the long-lived parts together: sync scheduler, idle lock, location while on duty, SW bridge. */
import { getSession, onSessionChange } from '../crypto/session';
import { recordLocation } from '../db';
import { shouldRecord, type Fix } from '../lib/geo';
import { SyncScheduler } from '../sync/scheduler';
import { lock, sessionApi, wipe } from './auth';
import { isField } from './areas';
import { getSettings, onSettingsChange } from './settings';
import { registerServiceWorker, requestBackgroundSync } from './swBridge';

/** How often the idle timer looks at the last touch. */
const IDLE_CHECK_MS = 5_000;
/** Captures are sent shortly after, in one pass. */
const AFTER_CAPTURE_DELAY_MS = 1_500;

export const scheduler = new SyncScheduler({
  api: () => sessionApi(),
  key: () => getSession()?.dataKey ?? null,
  onWipe: wipe,
  syncs: () => {
    const role = getSession()?.user.role;
    return role !== undefined && isField(role);
  },
});

let captureTimer: ReturnType<typeof setTimeout> | null = null;
/** Call after every capture: a sync soon, and Background Sync in case the app is closed. */
export function afterCapture(): void {
  void requestBackgroundSync();
  if (captureTimer) clearTimeout(captureTimer);
  captureTimer = setTimeout(() => void scheduler.syncNow(), AFTER_CAPTURE_DELAY_MS);
}

let lastActivity = Date.now();
function startIdleLock(): void {
  const touch = () => (lastActivity = Date.now());
  for (const ev of ['pointerdown', 'keydown', 'touchstart', 'wheel']) window.addEventListener(ev, touch, { passive: true });
  setInterval(() => {
    if (getSession() && Date.now() - lastActivity > getSettings().idleMinutes * 60_000) lock();
  }, IDLE_CHECK_MS);
}

let watchId: number | null = null;
let lastFix: Fix | null = null;
export let locationProblem = false;
function syncLocationWatch(): void {
  const want = getSettings().onDuty;
  if (want && watchId === null && 'geolocation' in navigator) {
    watchId = navigator.geolocation.watchPosition(
      (p) => {
        const fix = { lat: p.coords.latitude, lon: p.coords.longitude, at: p.timestamp || Date.now() };
        if (!shouldRecord(lastFix, fix)) return;
        lastFix = fix;
        void recordLocation(fix.lat, fix.lon, Number.isFinite(p.coords.accuracy) ? Math.round(p.coords.accuracy) : null).then(afterCapture);
      },
      () => (locationProblem = true),
      { enableHighAccuracy: true, maximumAge: 10_000 },
    );
  } else if (!want && watchId !== null) {
    navigator.geolocation.clearWatch(watchId);
    watchId = null;
  }
}

export function startRuntime(): void {
  scheduler.start();
  startIdleLock();
  registerServiceWorker(() => void scheduler.syncNow());
  onSessionChange(() => {
    lastActivity = Date.now();
    if (getSession()) void scheduler.syncNow();
  });
  onSettingsChange(syncLocationWatch);
  syncLocationWatch();
}
