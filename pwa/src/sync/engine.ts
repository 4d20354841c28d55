/**
 * One sync pass, read top to bottom as phases (mirror of sync/client.py):
 *   1. push the outbox in seq order, in batches of at most MAX_PUSH_BATCH;
 *      acknowledged ops leave the outbox, rejected ones move aside, deferred ones are resent;
 *   2. pull from the saved cursor until !has_more, applying each page and its cursor in one transaction
 *      (the next page is asked for while one is applied; the next push batch is opened while one is sent,
 *      and sent while the answer to the one before is recorded);
 *      a 410 `resync` (a cursor the server cannot read included) pulls a fresh snapshot whole, then replaces the records and cursor (never the outbox)
 *      in one transaction: with no signal halfway, the tablet keeps the copy it had.
 * Every answer's server_time is learned (lib/deviceClock): the clock reading of the next captures;
 * its HLC is merged into the device's clock (lib/hlc), so a lagging tablet stamps its next ops after the server's.
 * HTTP lives in ApiClient (fetch injected); storage in src/db. Errors propagate to the scheduler.
 * An answer that does not arrive whole (cut after its headers, a 2xx without its JSON) is a
 * NetworkError like no signal: the pass is retried, and the server's replay keeps each op once.
 */
import type { ApiClient } from '../api/client';
import { HttpError, ResyncError } from '../api/client';
import { MAX_PUSH_BATCH, PROTOCOL_VERSION, type Change, type PullResponse, type PushResponse } from '../api/types';
import { learnServerTime, wallNow } from '../lib/deviceClock';
import { formatHlc, hlcRecv, parseHlc, type Hlc } from '../lib/hlc';
import { applyChanges, db, getMeta, nextBatch, prepareResultRecords, recordPushResults, type OutboxRow } from '../db';

/**
 * Records per pull page: a fresh tablet's 500 calls and 10,000 points come in 7 pages, not 25
 * (each page costs the server a round of queries); a page of location points is ~0.3 MB of JSON.
 */
export const PULL_LIMIT = 2000;

export interface Progress {
  phase: 'push' | 'pull';
  /** Pull: records received in this pass; push: ops sent. */
  done: number;
  /** Pull: the total announced by a fresh snapshot (first pull), else null. */
  total: number | null;
}

export interface SyncDeps {
  api: ApiClient;
  key: CryptoKey;
  now?: () => number;
  onProgress?: (p: Progress) => void;
  pushBatch?: number;
  pullLimit?: number;
}

export interface SyncReport {
  pushed: number;
  rejected: number;
  received: number;
  resynced: boolean;
}

export class StuckError extends Error {
  override name = 'StuckError';
}

export async function syncOnce(deps: SyncDeps): Promise<SyncReport> {
  const push = await pushOutbox(deps);
  const pull = await pullAll(deps);
  return { ...push, ...pull };
}

export async function pushOutbox(deps: SyncDeps): Promise<{ pushed: number; rejected: number }> {
  const now = deps.now ?? wallNow;
  const send = (rows: OutboxRow[]): Promise<PushResponse> => {
    const sent = deps.api.push({ protocol_version: PROTOCOL_VERSION, device_time: new Date(now()).toISOString(), ops: rows.map((row) => row.op) });
    sent.catch(() => undefined); // awaited below, or dropped with this pass
    return sent;
  };
  let pushed = 0;
  let rejected = 0;
  let size = deps.pushBatch ?? MAX_PUSH_BATCH;
  let batch = await nextBatch(deps.key, size);
  let sending = batch.length ? send(batch) : null;
  while (sending) {
    // Opened while the server works on this batch: the next one, if every op of this one leaves the outbox.
    const ahead = nextBatch(deps.key, size, batch[batch.length - 1]!.seq);
    ahead.catch(() => undefined); // awaited below, or dropped
    let res: PushResponse;
    try {
      res = await sending;
    } catch (e) {
      // Over the server's body limit (413): send half as many ops, down to one.
      if (!(e instanceof HttpError) || e.status !== 413 || batch.length === 1) throw e;
      size = Math.floor(batch.length / 2);
      batch = await nextBatch(deps.key, size);
      sending = send(batch);
      continue;
    }
    // Every op answered and none deferred: the next batch leaves now, and this answer is recorded
    // while the server works on it (a lost record is resent next pass, and the server replays it).
    const answered = new Set(res.results.filter((r) => r.outcome !== 'deferred').map((r) => r.id));
    const following = batch.every((row) => answered.has(row.op.id)) ? await ahead : null;
    const followingSent = following?.length ? send(following) : null;
    learnServerTime(res.server_time);
    await learnServerHlc(res.hlc, now());
    const records = await prepareResultRecords(deps.key, batch, res.results);
    const s = await recordPushResults(batch, res.results, records);
    pushed += s.acknowledged;
    rejected += s.rejected;
    deps.onProgress?.({ phase: 'push', done: pushed + rejected, total: null });
    // Every op deferred: the server waits for a seq this device no longer holds (sync/client.py: an error).
    if (s.acknowledged + s.rejected === 0) throw new StuckError(`server expects seq ${res.last_seq + 1}`);
    if (following) {
      batch = following;
      sending = followingSent;
    } else {
      batch = await nextBatch(deps.key, size);
      sending = batch.length ? send(batch) : null;
    }
  }
  return { pushed, rejected };
}

/**
 * A fresh tablet's first page, asked for at sign-in as soon as the tokens arrive (the page derives
 * and wraps the data key meanwhile): the first pull from no cursor takes it instead of asking again.
 */
let primed: Promise<PullResponse> | null = null;

export function primeFirstPull(page: Promise<PullResponse> | null): void {
  page?.catch(() => undefined); // taken by the first pull, or dropped
  primed = page;
}

export async function pullAll(deps: SyncDeps): Promise<{ received: number; resynced: boolean }> {
  const limit = deps.pullLimit ?? PULL_LIMIT;
  const cursor = (await getMeta<string>('cursor')) ?? null;
  // A first pull has no copy to protect: pages are applied as they come, and a cut link resumes.
  const fresh = cursor === null;
  let total: number | null = null;
  let received = 0;
  // The page asked for at sign-in, or (it failed: an expired token, no signal) asked for again.
  let next = fresh && primed && limit === PULL_LIMIT ? primed.catch(() => deps.api.pull(cursor, limit)) : deps.api.pull(cursor, limit);
  primed = null;
  for (;;) {
    let page;
    try {
      page = await next;
    } catch (e) {
      if (!(e instanceof ResyncError) || fresh) throw e;
      return { received: await pullSnapshot(deps), resynced: true };
    }
    learnServerTime(page.server_time);
    // The next page is asked for while this one is sealed and stored (its cursor is saved only with it).
    if (page.has_more) {
      next = deps.api.pull(page.cursor, limit);
      next.catch(() => undefined); // awaited next round, or dropped with this pass
    }
    await learnServerHlc(page.hlc, (deps.now ?? wallNow)());
    if (fresh && total === null && typeof page.total === 'number') total = page.total;
    await applyChanges(deps.key, page.changes, { cursor: page.cursor, serverTime: page.server_time, total });
    received += page.changes.length;
    deps.onProgress?.({ phase: 'pull', done: received, total: fresh ? total : null });
    if (!page.has_more) break;
  }
  return { received, resynced: false };
}

/**
 * A fresh snapshot from scratch (first pull, 410, "Rebuild from server"). Pages are held in
 * memory until the last one has arrived; only then does the server copy on the tablet give way,
 * in the transaction that applies the new one. A cut link leaves the old copy and cursor as they were.
 */
export async function pullSnapshot(deps: SyncDeps): Promise<number> {
  const staged: Change[] = [];
  let cursor: string | null = null;
  let total: number | null = null;
  for (;;) {
    const page = await deps.api.pull(cursor, deps.pullLimit ?? PULL_LIMIT);
    learnServerTime(page.server_time);
    await learnServerHlc(page.hlc, (deps.now ?? wallNow)());
    if (total === null && typeof page.total === 'number') total = page.total;
    staged.push(...page.changes);
    deps.onProgress?.({ phase: 'pull', done: staged.length, total });
    cursor = page.cursor;
    if (!page.has_more) {
      await applyChanges(deps.key, staged, { cursor: page.cursor, serverTime: page.server_time, total, replace: true });
      return staged.length;
    }
  }
}

/** Merge the HLC a push or pull answer carries into the device's clock, kept in meta (as sync/client.py). */
export async function learnServerHlc(remote: string | undefined, nowMs: number): Promise<void> {
  if (typeof remote !== 'string') return;
  let heard: Hlc;
  try {
    heard = parseHlc(remote);
  } catch {
    return; // not a reading: the device's clock stays as it is
  }
  const d = db();
  await d.transaction('rw', d.meta, async () => {
    const [prev, node] = await Promise.all([d.meta.get('hlc'), d.meta.get('device_id')]);
    const mine = typeof prev?.value === 'string' ? parseHlc(prev.value) : null;
    const next = hlcRecv(mine, heard, nowMs, String(node?.value ?? 'local'));
    await d.meta.put({ key: 'hlc', value: formatHlc(next) });
  });
}
