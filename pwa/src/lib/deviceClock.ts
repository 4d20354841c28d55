/**
 * The tablet's two clocks and the last server time it learned (PROTOCOL.md, "Clocks").
 *
 * Every op carries a reading: the last answer's `server_time`, the wall clock as it arrived, and
 * the monotonic milliseconds since (`performance.now()`), so a fact's time holds whatever the wall
 * clock does before the push (reset to 1970, set hours ahead). The reading lives in memory only:
 * after a reload the monotonic origin is gone, and ops captured before the next answer carry none.
 */
import type { ClockReading } from '../api/types';

export interface Clocks {
  /** Epoch milliseconds of the wall clock (`Date.now`). */
  wall: () => number;
  /** Monotonic milliseconds (`performance.now`): untouched when the wall clock is set. */
  monotonic: () => number;
}

const realClocks: Clocks = { wall: () => Date.now(), monotonic: () => performance.now() };
let clocks: Clocks = realClocks;
let learned: { serverTime: string; deviceTime: string; at: number } | null = null;

/** Tests inject their clocks (and get the real ones back with no argument). */
export function setClocks(c?: Partial<Clocks>): void {
  clocks = { ...realClocks, ...c };
}

/** The wall clock now, epoch milliseconds. */
export function wallNow(): number {
  return clocks.wall();
}

/** Keep a server answer's time with both clocks as it arrived; a time that does not parse is ignored. */
export function learnServerTime(serverTime: string | undefined): void {
  if (!serverTime || Number.isNaN(Date.parse(serverTime))) return;
  learned = { serverTime, deviceTime: new Date(clocks.wall()).toISOString(), at: clocks.monotonic() };
}

/** The reading for an op captured now, or null when no server time was learned since the app started. */
export function clockReading(): ClockReading | null {
  if (!learned) return null;
  return { server_time: learned.serverTime, device_time: learned.deviceTime, elapsed_ms: Math.max(0, Math.round(clocks.monotonic() - learned.at)) };
}

/**
 * The server's time now as far as the tablet knows, for showing a capture before the pull brings the
 * server's own: the later of the monotonic estimate and the wall clock corrected as it was when the
 * server time was learned (a monotonic clock never runs fast but stands still while the tablet
 * sleeps; a wall clock reset to 1970 falls behind). Without a reading, the wall clock.
 */
export function estimatedNow(): number {
  if (!learned) return clocks.wall();
  const serverTime = Date.parse(learned.serverTime);
  const monotonic = serverTime + (clocks.monotonic() - learned.at);
  const wall = clocks.wall() + (serverTime - Date.parse(learned.deviceTime));
  return Math.max(monotonic, wall);
}

/** What a reload does to the reading (tests). */
export function forgetServerTime(): void {
  learned = null;
}
