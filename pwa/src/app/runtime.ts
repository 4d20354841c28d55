/**
 * Wires the long-lived parts together: sync scheduler, idle lock, location while on duty (at the
 * server's field settings, saying when it is paused or refused), SW bridge.
 */
import { getSession, onSessionChange } from '../crypto/session';
import { recordLocation } from '../db';
import { shouldRecord, type Fix } from '../lib/geo';
import { accurateEnough, rulesFrom, trackingStatus, type TrackingRules, type TrackingStatus } from '../lib/tracking';
import { SyncScheduler } from '../sync/scheduler';
import { lock, sessionApi, wipe } from './auth';
import { isField } from './areas';
import { refreshDispositions } from './dispositions';
import { cachedFieldSettings, keepFieldSettings } from './fieldSettings';
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

// --- position on duty ----------------------------------------------------------------------

/** How often the tracking status is looked at: a missed fix shows within this. */
const TRACKING_CHECK_MS = 5_000;
/** A cached fix younger than this will do (the browser's own, no new GPS reading). */
const MAX_FIX_AGE_MS = 10_000;

let rules: TrackingRules = rulesFrom(cachedFieldSettings());
async function refreshFieldSettings(): Promise<void> {
  const api = sessionApi();
  if (!api) return;
  try {
    const wire = await api.fieldSettings();
    rules = rulesFrom(wire);
    keepFieldSettings(wire);
  } catch {
    /* offline or signed out: keep the cached settings */
  }
}

let watchId: number | null = null;
let lastFix: Fix | null = null;
let lastFixAt: number | null = null;
let waitingSince = Date.now();
let lastNudgeAt = 0;
let permissionDenied = false;
let tracking: TrackingStatus = 'idle';
const trackingListeners = new Set<(s: TrackingStatus) => void>();

export function getTrackingStatus(): TrackingStatus {
  return tracking;
}

export function onTrackingStatus(l: (s: TrackingStatus) => void): () => void {
  trackingListeners.add(l);
  return () => void trackingListeners.delete(l);
}

function pageVisible(): boolean {
  return typeof document === 'undefined' || document.visibilityState === 'visible';
}

function updateTracking(): void {
  const next = trackingStatus({
    onDuty: getSettings().onDuty,
    visible: pageVisible(),
    permissionDenied,
    lastFixAt,
    waitingSince,
    now: Date.now(),
    rules,
  });
  if (next === tracking) return;
  tracking = next;
  for (const l of trackingListeners) l(next);
}

function onFix(p: GeolocationPosition): void {
  permissionDenied = false;
  const accuracy = Number.isFinite(p.coords.accuracy) ? Math.round(p.coords.accuracy) : null;
  if (!accurateEnough(accuracy, rules)) return;
  lastFixAt = Date.now();
  updateTracking();
  const fix = { lat: p.coords.latitude, lon: p.coords.longitude, at: p.timestamp || Date.now() };
  if (!shouldRecord(lastFix, fix, rules)) return;
  lastFix = fix;
  void recordLocation(fix.lat, fix.lon, accuracy).then(afterCapture);
}

function onFixError(e: GeolocationPositionError): void {
  if (e.code === e.PERMISSION_DENIED) permissionDenied = true;
  updateTracking();
}

/** Options of every position request: GPS, and a browser-cached fix only if recent. */
const fixOptions = (): PositionOptions => ({ enableHighAccuracy: true, maximumAge: Math.min(MAX_FIX_AGE_MS, rules.intervalMs) });

function startWatch(): void {
  waitingSince = Date.now();
  watchId = navigator.geolocation.watchPosition(onFix, onFixError, fixOptions());
}

function stopWatch(): void {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  watchId = null;
}

function syncLocationWatch(): void {
  const want = getSettings().onDuty;
  if (want && watchId === null && 'geolocation' in navigator) {
    void refreshFieldSettings();
    startWatch();
  } else if (!want && watchId !== null) {
    stopWatch();
  }
  updateTracking();
}

/**
 * A tablet standing still may get no new fix from the watch: after an interval without one,
 * ask once more (once per interval), so a parked unit still records and shows "on".
 */
function nudgeForFix(): void {
  const now = Date.now();
  const quietSince = Math.max(lastFixAt ?? 0, waitingSince, lastNudgeAt);
  if (watchId === null || !pageVisible() || permissionDenied || now - quietSince < rules.intervalMs) return;
  lastNudgeAt = now;
  navigator.geolocation.getCurrentPosition(onFix, onFixError, fixOptions());
}

function startTrackingStatus(): void {
  document.addEventListener('visibilitychange', () => {
    // Back on screen: the watch resumes; give it two intervals before saying paused again.
    if (pageVisible()) waitingSince = Date.now();
    updateTracking();
  });
  // The permission given back in the browser's settings: watch again (a refused watch ends).
  void navigator.permissions
    ?.query({ name: 'geolocation' })
    .then((state) => {
      state.onchange = () => {
        permissionDenied = state.state === 'denied';
        if (state.state === 'granted' && getSettings().onDuty) {
          stopWatch();
          startWatch();
        }
        updateTracking();
      };
    })
    .catch(() => undefined);
  setInterval(() => {
    nudgeForFix();
    updateTracking();
  }, TRACKING_CHECK_MS);
}

export function startRuntime(): void {
  scheduler.start();
  startIdleLock();
  registerServiceWorker(() => void scheduler.syncNow());
  onSessionChange(() => {
    lastActivity = Date.now();
    if (getSession()) {
      void scheduler.syncNow();
      void refreshFieldSettings();
      void refreshDispositions();
    }
  });
  onSettingsChange(syncLocationWatch);
  startTrackingStatus();
  syncLocationWatch();
}
