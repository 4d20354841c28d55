import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../src/api/client';
import type { Change, Op, PushResult } from '../src/api/types';
import { open } from '../src/crypto/keys';
import { addNote, applyChanges, clearRecordsAndCursor, db, getCall, getMeta, recordLocation, updateCall } from '../src/db';
import { pullAll, pushOutbox } from '../src/sync/engine';
import { fakeFetch, freshUnlockedDevice, staticTokens, type Req } from './helpers';

let key: CryptoKey;
beforeEach(async () => {
  key = await freshUnlockedDevice();
});

const call = (id: number, narrative = `n${id}`): Change => ({
  kind: 'call',
  id: String(id),
  op: 'put',
  version: 1,
  data: { id, priority: 2, received_at: '2026-11-25T01:00:00Z', narrative },
});
const point = (id: string): Change => ({ kind: 'location_point', id, op: 'put', version: 1, data: { id, lat: 36, lon: -78.9, at: '2026-11-25T01:00:00Z' } });
const note = (id: string, callId: number): Change => ({ kind: 'call_note', id, op: 'put', version: 1, data: { id, call_id: callId, body: `note ${id}` } });

describe('a pull page applied in bulk', () => {
  it('a page of 1,200 records of several kinds lands whole, each record sealed, in one transaction with its cursor', async () => {
    const changes = [
      ...Array.from({ length: 200 }, (_, i) => call(i + 1)),
      ...Array.from({ length: 600 }, (_, i) => point(`p${i}`)),
      ...Array.from({ length: 400 }, (_, i) => note(`n${i}`, (i % 200) + 1)),
    ];
    const transaction = vi.spyOn(db(), 'transaction');
    await applyChanges(key, changes, { cursor: 'c1', serverTime: '2026-11-25T02:00:00Z' });
    expect(transaction).toHaveBeenCalledTimes(1);
    expect([await db().calls.count(), await db().locationPoints.count(), await db().notes.count()]).toEqual([200, 600, 400]);
    expect(await getMeta('cursor')).toBe('c1');
    const stored = (await db().notes.get('n399'))!;
    expect(stored.clear).toEqual({ id: 'n399', call_id: 200 });
    expect(stored.callId).toBe('200');
    expect(await open(key, stored.sealed!)).toEqual({ body: 'note n399' });
  });

  it('a record changed more than once in a page ends as its last change', async () => {
    await applyChanges(key, [call(1), call(2)], { cursor: 'c1', serverTime: 't' });
    await applyChanges(
      key,
      [
        call(1, 'first'),
        { kind: 'call', id: '1', op: 'delete', version: null, data: null },
        { kind: 'call', id: '2', op: 'remove', version: null, data: null },
        call(2, 'back with its unit'),
        call(3, 'old'),
        call(3, 'new'),
      ],
      { cursor: 'c2', serverTime: 't' },
    );
    expect(await db().calls.get('1')).toBeUndefined();
    const [two, three] = await db().calls.bulkGet(['2', '3']);
    expect(await open(key, two!.sealed!)).toMatchObject({ narrative: 'back with its unit' });
    expect(await open(key, three!.sealed!)).toMatchObject({ narrative: 'new' });
  });

  it("a page that puts a call keeps the overlay of this tablet's unsent edit", async () => {
    await applyChanges(key, [call(1)], { cursor: 'c1', serverTime: 't' });
    await updateCall(key, (await getCall('1'))!, { disposition: 'Resolved on scene' });
    await applyChanges(key, [call(1, 'edited by dispatch')], { cursor: 'c2', serverTime: 't' });
    const row = (await db().calls.get('1'))!;
    expect(await open(key, row.localSealed!)).toEqual({ disposition: 'Resolved on scene' });
    expect(await open(key, row.sealed!)).toMatchObject({ narrative: 'edited by dispatch' });
  });
});

describe('a push answer acknowledges the facts made here', () => {
  const server = (outcome: (op: Op) => PushResult['outcome']) => (r: Req): [number, unknown] => {
    const ops = (r.body as { ops: Op[] }).ops;
    const results = ops.map((op): PushResult => ({ id: op.id, seq: op.seq, outcome: outcome(op), record_id: op.record_id, version: 1 }));
    return [200, { results, last_seq: ops.at(-1)!.seq, server_time: new Date().toISOString(), skew_ms: 0 }];
  };

  it('an acknowledged fact stays and counts as confirmed (the pull does not bring it back), a rejected one leaves the records', async () => {
    const kept = await addNote(key, 1, 'on our way');
    const refused = await addNote(key, 1, 'a note the server refuses');
    const where = await recordLocation(36, -78.9, 5);
    const { fetch } = fakeFetch(server((op) => (op.id === refused.id ? 'rejected' : 'applied')));
    await pushOutbox({ api: new ApiClient(fetch, staticTokens), key });
    expect(await db().outbox.count()).toBe(0);
    expect(await db().notes.get(kept.record_id)).toBeDefined();
    expect(await db().locationPoints.get(where.record_id)).toBeDefined();
    expect(await db().notes.get(refused.record_id)).toBeUndefined();
    const unsent = await addNote(key, 1, 'still queued');
    // Confirmed: the last crew member's sign-out drops them with the server copy; the queued one stays.
    await clearRecordsAndCursor();
    expect((await db().notes.toArray()).map((r) => r.id)).toEqual([unsent.record_id]);
    expect(await db().locationPoints.count()).toBe(0);
  });

  it('a fact whose op was deferred stays queued, and stays with it when the server copy goes', async () => {
    const first = await addNote(key, 1, 'first');
    const second = await addNote(key, 1, 'second');
    const { fetch } = fakeFetch((r) => {
      const ops = (r.body as { ops: Op[] }).ops;
      const results = ops.map((op): PushResult => ({ id: op.id, seq: op.seq, outcome: op.id === second.id ? 'deferred' : 'applied', record_id: op.record_id }));
      return [200, { results, last_seq: first.seq, server_time: new Date().toISOString(), skew_ms: 0 }];
    });
    await expect(pushOutbox({ api: new ApiClient(fetch, staticTokens), key })).rejects.toThrow();
    expect(await db().outbox.count()).toBe(1);
    await clearRecordsAndCursor();
    expect((await db().notes.toArray()).map((r) => r.id)).toEqual([second.record_id]);
  });
});

describe('fewer waits in a sync pass', () => {
  it('the next pull page is asked for while the one before is applied, and each cursor is saved with its page', async () => {
    const pages: Record<string, { changes: Change[]; cursor: string; has_more: boolean }> = {
      start: { changes: [call(1), call(2)], cursor: 'p1', has_more: true },
      p1: { changes: [call(3)], cursor: 'p2', has_more: true },
      p2: { changes: [call(4)], cursor: 'p3', has_more: false },
    };
    const cursorWhenAsked: Record<string, unknown> = {};
    const { fetch } = fakeFetch(async (r) => {
      const asked = new URL(r.path, 'http://t').searchParams.get('cursor') ?? 'start';
      cursorWhenAsked[asked] = await getMeta('cursor');
      return [200, { ...pages[asked], total: 4, server_time: '2026-11-25T02:00:00Z' }];
    });
    await pullAll({ api: new ApiClient(fetch, staticTokens), key });
    expect(cursorWhenAsked).toEqual({ start: undefined, p1: undefined, p2: 'p1' });
    expect(await getMeta('cursor')).toBe('p3');
    expect(await db().calls.count()).toBe(4);
  });

  it('the next push batch is opened while one is sent, and sent in seq order', async () => {
    for (let i = 0; i < 5; i++) await addNote(key, 1, `note ${i}`);
    const seqs: number[][] = [];
    const { fetch } = fakeFetch((r) => {
      const ops = (r.body as { ops: Op[] }).ops;
      seqs.push(ops.map((op) => op.seq));
      const results = ops.map((op): PushResult => ({ id: op.id, seq: op.seq, outcome: 'applied', record_id: op.record_id }));
      return [200, { results, last_seq: ops.at(-1)!.seq, server_time: new Date().toISOString(), skew_ms: 0 }];
    });
    await pushOutbox({ api: new ApiClient(fetch, staticTokens), key, pushBatch: 2 });
    expect(seqs).toEqual([[1, 2], [3, 4], [5]]);
    expect(await db().outbox.count()).toBe(0);
  });
});
