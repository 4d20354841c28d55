/**
 * Hybrid logical clock, string form "<wall ms, 13 digits>-<counter, 4 digits>-<node>" (sorts as text).
 * Pure: the wall clock is an argument, so tests are deterministic. Never goes backwards even when
 * the device clock jumps back (the counter carries the order).
 */
export interface Hlc {
  wall: number;
  counter: number;
  node: string;
}

export const MAX_COUNTER = 9999;
/** A remote timestamp further ahead than this only moves us to now + MAX_DRIFT_MS (as sync/hlc.py). */
export const MAX_DRIFT_MS = 60_000;

export function formatHlc(h: Hlc): string {
  return `${String(h.wall).padStart(13, '0')}-${String(h.counter).padStart(4, '0')}-${h.node}`;
}

export function parseHlc(s: string): Hlc {
  const m = /^(\d{13})-(\d{4})-(.+)$/.exec(s);
  if (!m) throw new Error(`bad hlc: ${s}`);
  return { wall: Number(m[1]), counter: Number(m[2]), node: m[3]! };
}

/** The next timestamp for a local event (send). */
export function hlcSend(prev: Hlc | null, nowMs: number, node: string): Hlc {
  const wall = Math.max(prev?.wall ?? 0, Math.floor(nowMs));
  if (prev && wall === prev.wall) {
    if (prev.counter >= MAX_COUNTER) return { wall: wall + 1, counter: 0, node };
    return { wall, counter: prev.counter + 1, node };
  }
  return { wall, counter: 0, node };
}

/** Merge a remote timestamp (receive). */
export function hlcRecv(prev: Hlc | null, remoteIn: Hlc, nowMs: number, node: string): Hlc {
  const local = prev ?? { wall: 0, counter: 0, node };
  const limit = Math.floor(nowMs) + MAX_DRIFT_MS;
  const remote = remoteIn.wall > limit ? { ...remoteIn, wall: limit, counter: 0 } : remoteIn;
  const wall = Math.max(local.wall, remote.wall, Math.floor(nowMs));
  let counter: number;
  if (wall === local.wall && wall === remote.wall) counter = Math.max(local.counter, remote.counter) + 1;
  else if (wall === local.wall) counter = local.counter + 1;
  else if (wall === remote.wall) counter = remote.counter + 1;
  else counter = 0;
  if (counter > MAX_COUNTER) return { wall: wall + 1, counter: 0, node };
  return { wall, counter, node };
}
