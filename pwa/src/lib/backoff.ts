/** Retry delays: exponential with full jitter (AWS architecture blog), so tablets do not retry in lockstep. */
export const BACKOFF_BASE_MS = 1_000;
/** Never wait longer than five minutes between attempts while something is unsent. */
export const BACKOFF_CAP_MS = 5 * 60_000;

/** Delay before retry number `attempt` (0-based): uniform in [0, min(cap, base * 2^attempt)]. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.floor(random() * ceiling);
}
