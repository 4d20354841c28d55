/**
 * Position recording on duty, as pure decisions: the server's field settings as rules (the
 * throttle itself is lib/geo's shouldRecord), which fix is accurate enough, and what the
 * tablet says about tracking.
 * A web app records only while it is open and on screen: it says so instead of going quiet.
 */
import type { FieldSettings } from '../api/types';
import { LOCATION_MIN_DISTANCE_M, LOCATION_MIN_INTERVAL_MS, type RecordRules } from './geo';

/** The server's field settings (GET /settings/field), in the units the tablet uses. */
export interface TrackingRules extends RecordRules {
  minAccuracyM: number;
}

/** A fix less accurate than this (metres) is dropped until the server says otherwise. */
export const DEFAULT_MIN_ACCURACY_M = 100;

/** Until the tablet has heard the server's settings: the same as the server's defaults. */
export const DEFAULT_RULES: TrackingRules = {
  intervalMs: LOCATION_MIN_INTERVAL_MS,
  minAccuracyM: DEFAULT_MIN_ACCURACY_M,
  minMoveM: LOCATION_MIN_DISTANCE_M,
};

/** The fixes missed in a row before the tablet says location is paused. */
export const MISSED_FIXES_BEFORE_PAUSED = 2;

/** The wire settings as rules; a missing or nonsensical value keeps the default. */
export function rulesFrom(wire: FieldSettings | null | undefined): TrackingRules {
  const pick = (v: number | undefined, fallback: number, scale = 1) =>
    typeof v === 'number' && Number.isFinite(v) && v > 0 ? v * scale : fallback;
  return {
    intervalMs: pick(wire?.location_interval_s, DEFAULT_RULES.intervalMs, 1000),
    minAccuracyM: pick(wire?.location_min_accuracy_m, DEFAULT_RULES.minAccuracyM),
    minMoveM: pick(wire?.location_min_move_m, DEFAULT_RULES.minMoveM),
  };
}

/** A fix good enough to record: its accuracy known and within the limit. */
export function accurateEnough(accuracyM: number | null, rules: TrackingRules): boolean {
  return accuracyM !== null && Number.isFinite(accuracyM) && accuracyM <= rules.minAccuracyM;
}

/** What the tablet shows: nothing off duty, else on, paused, or off for want of permission. */
export type TrackingStatus = 'idle' | 'on' | 'paused' | 'denied';

export interface TrackingInputs {
  onDuty: boolean;
  /** The page is on screen (document.visibilityState === 'visible'). */
  visible: boolean;
  permissionDenied: boolean;
  /** When the last usable fix came (ms), or null. */
  lastFixAt: number | null;
  /** When the tablet started waiting for fixes: the watch began or the page came back (ms). */
  waitingSince: number;
  now: number;
  rules: TrackingRules;
}

export function trackingStatus(i: TrackingInputs): TrackingStatus {
  if (!i.onDuty) return 'idle';
  if (i.permissionDenied) return 'denied';
  if (!i.visible) return 'paused';
  const since = Math.max(i.lastFixAt ?? 0, i.waitingSince);
  return i.now - since >= MISSED_FIXES_BEFORE_PAUSED * i.rules.intervalMs ? 'paused' : 'on';
}
