/**
 * Wrong offline unlocks: a growing wait after a few, and after MAX_UNLOCK_FAILURES the crew
 * member's wrapped key is deleted (they sign in online again). Argon2id is what protects a PIN
 * against a raw copy of the database; this stops guessing through the app itself.
 */
import { getMeta, setMeta } from '../db';

/** Tries without any wait: enough for a typo or two. */
export const FREE_UNLOCK_TRIES = 3;
/** After this many wrong tries in a row the member's key is deleted. */
export const MAX_UNLOCK_FAILURES = 10;
/** The first wait, doubled at each further wrong try (1, 2, 4 ... 64 s before the last try). */
const FIRST_WAIT_MS = 1_000;

interface Failures {
  count: number;
  lastAt: number;
}
type FailureBook = Record<string, Failures>;

/** How long to wait after `count` wrong tries in a row (0 while within the free tries). */
export function unlockWaitMs(count: number): number {
  return count < FREE_UNLOCK_TRIES ? 0 : FIRST_WAIT_MS * 2 ** (count - FREE_UNLOCK_TRIES);
}

async function book(): Promise<FailureBook> {
  return (await getMeta<FailureBook>('unlock_failures')) ?? {};
}

/** Milliseconds this member must still wait before the next try (0: may try now). */
export async function waitBeforeUnlock(userId: string, now: number): Promise<number> {
  const f = (await book())[userId];
  if (!f) return 0;
  return Math.max(0, f.lastAt + unlockWaitMs(f.count) - now);
}

/** Counts a wrong try; returns the count in a row. */
export async function recordUnlockFailure(userId: string, now: number): Promise<number> {
  const all = await book();
  const count = (all[userId]?.count ?? 0) + 1;
  await setMeta('unlock_failures', { ...all, [userId]: { count, lastAt: now } });
  return count;
}

export async function clearUnlockFailures(userId: string): Promise<void> {
  const all = await book();
  if (!(userId in all)) return;
  const { [userId]: _gone, ...rest } = all;
  await setMeta('unlock_failures', rest);
}
