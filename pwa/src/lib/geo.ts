/** Location throttle while on duty: keep a point when this much time has passed since the last one... */
export const LOCATION_MIN_INTERVAL_MS = 30_000;
/** ...or when the unit has moved this far (metres), which matters more than time when driving. */
export const LOCATION_MIN_DISTANCE_M = 50;
/** Never more often than this, however fast the unit moves (keeps the outbox small). */
export const LOCATION_FLOOR_MS = 5_000;

export interface Fix {
  lat: number;
  lon: number;
  at: number;
}

/** Great-circle distance in metres (haversine). */
export function distanceM(a: Fix, b: Fix): number {
  const R = 6_371_000;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The throttle's thresholds (the server's field settings, else the constants above). */
export interface RecordRules {
  intervalMs: number;
  minMoveM: number;
}

export function shouldRecord(
  last: Fix | null,
  next: Fix,
  rules: RecordRules = { intervalMs: LOCATION_MIN_INTERVAL_MS, minMoveM: LOCATION_MIN_DISTANCE_M },
): boolean {
  if (!last) return true;
  const elapsed = next.at - last.at;
  if (elapsed < LOCATION_FLOOR_MS) return false;
  return elapsed >= rules.intervalMs || distanceM(last, next) >= rules.minMoveM;
}
