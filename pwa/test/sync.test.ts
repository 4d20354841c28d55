import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiClient, NetworkError, type FetchFn } from '../src/api/client';
import type { Change, Op, PushResult } from '../src/api/types';
import { addNote, applyChanges, db, getCall, getMeta, lastReceipt, listRejected, recordStatus } from '../src/db';
import { open } from '../src/crypto/keys';
import { pullAll, pushOutbox, syncOnce } from '../src/sync/engine';
import { MAX_DRIFT_MS } from '../src/lib/hlc';
import { classify } from '../src/sync/scheduler';
import { getSyncState } from '../src/sync/status';
import { fakeFetch, freshUnlockedDevice, staticTokens, type Req, stopSchedulers, testScheduler } from './helpers';

// A scheduler's retry timer must not fire in the next test.
afterEach(stopSchedulers);

let key: CryptoKey;
beforeEach(async () => {
  key = await freshUnlockedDevice();
});

/** A small in-memory server following PROTOCOL.md's push rules (replay, gap, per-op outcome). */
function pushServer(outcomeFor: (op: Op) => PushResult['outcome'] = () => 'applied') {
  const seen = new Map<string, PushResult>();
  const stored: Op[] = [];
  let lastSeq = 0;
  const handle = (r: Req): [number, unknown] => {
    if (r.path !== '/api/v1/sync/push') return [404, {}];
    const body = r.body as { ops: Op[] };
    let gap = false;
    const results = body.ops.map((op): PushResult => {
      const prior = seen.get(op.id);
      if (prior) return { ...prior, replayed: true };
      if (gap || op.seq > lastSeq + 1) {
        gap = true;
        return { id: op.id, seq: op.seq, outcome: 'deferred' };
      }
      if (op.seq <= lastSeq) return { id: op.id, seq: op.seq, outcome: 'applied', replayed: true };
      const outcome = outcomeFor(op);
      const res: PushResult = { id: op.id, seq: op.seq, outcome, record_id: op.record_id, errors: outcome === 'rejected' ? { json: { status: ['bad'] } } : {} };
      lastSeq = op.seq;
      seen.set(op.id, res);
      if (outcome !== 'rejected') stored.push(op);
      return res;
    });
    return [200, { results, last_seq: lastSeq, server_time: new Date().toISOString(), skew_ms: 0 }];
  };
  return { handle, stored, setLastSeq: (n: number) => (lastSeq = n) };
}

const emptyPull = (r: Req): [number, unknown] | null =>
  r.path.startsWith('/api/v1/sync/pull') ? [200, { changes: [], cursor: 'c0', has_more: false, total: 0, server_time: '2026-11-25T01:00:00Z' }] : null;

describe('push', () => {
  it('sends clinical fields in clear on the wire, stored sealed, and empties the outbox', async () => {
    await addNote(key, 3, 'calm now');
    await recordStatus(key, 3, 'on_scene');
    const srv = pushServer();
    const { fetch, requests } = fakeFetch((r) => emptyPull(r) ?? srv.handle(r));
    const report = await syncOnce({ api: new ApiClient(fetch, staticTokens), key });
    expect(report.pushed).toBe(2);
    expect(await db().outbox.count()).toBe(0);
    const sent = requests[0]!.body as { protocol_version: number; ops: Op[] };
    expect(sent.protocol_version).toBe(2);
    expect(sent.ops.map((o) => o.seq)).toEqual([1, 2]);
    expect(sent.ops[0]!.data).toEqual({ call_id: 3, body: 'calm now' });
    expect(requests[0]!.auth).toBe('Bearer A');
  });

  it('a rejected op moves aside and never blocks the ops behind it', async () => {
    await recordStatus(key, 1, 'en_route');
    await recordStatus(key, 1, 'on_scene');
    await recordStatus(key, 1, 'cleared');
    const srv = pushServer((op) => (op.seq === 1 ? 'rejected' : 'applied'));
    const { fetch } = fakeFetch((r) => srv.handle(r));
    const res = await pushOutbox({ api: new ApiClient(fetch, staticTokens), key });
    expect(res).toEqual({ pushed: 2, rejected: 1 });
    expect(await db().outbox.count()).toBe(0);
    const rejected = await listRejected();
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.seq).toBe(1);
    expect(rejected[0]!.errors).toEqual({ json: { status: ['bad'] } });
    expect(srv.stored.map((o) => o.seq)).toEqual([2, 3]);
  });

  it('deferred ops stay in the outbox and are resent', async () => {
    for (let i = 0; i < 5; i++) await recordStatus(key, i, 'en_route');
    // The server answers the first push deferring everything from seq 3 (as after a gap).
    let calls = 0;
    const srv = pushServer();
    const { fetch, requests } = fakeFetch((r) => {
      calls++;
      const [status, body] = srv.handle(r);
      if (calls === 1) {
        const b = body as { results: PushResult[] };
        b.results = b.results.map((x) => (x.seq !== null && x.seq >= 3 ? { id: x.id, seq: x.seq, outcome: 'deferred' } : x));
        srv.setLastSeq(2);
      }
      return [status, body];
    });
    const res = await pushOutbox({ api: new ApiClient(fetch, staticTokens), key });
    expect(res.pushed).toBe(5);
    expect(requests).toHaveLength(2);
    expect((requests[1]!.body as { ops: Op[] }).ops.map((o) => o.seq)).toEqual([3, 4, 5]);
    expect(await db().outbox.count()).toBe(0);
  });

  it('a replayed batch (answer lost) is acknowledged without doubles', async () => {
    await recordStatus(key, 1, 'en_route');
    await recordStatus(key, 1, 'on_scene');
    const srv = pushServer();
    let first = true;
    const { fetch } = fakeFetch((r) => {
      const out = srv.handle(r);
      if (first) {
        first = false;
        throw new TypeError('connection dropped after the server stored it');
      }
      return out;
    });
    const api = new ApiClient(fetch, staticTokens);
    await expect(pushOutbox({ api, key })).rejects.toThrow();
    expect(await db().outbox.count()).toBe(2);
    const res = await pushOutbox({ api, key });
    expect(res.pushed).toBe(2);
    expect(srv.stored).toHaveLength(2);
    expect(await db().outbox.count()).toBe(0);
  });

  it('a push over the server\'s body limit (413) goes again in halves', async () => {
    for (let i = 0; i < 4; i++) await recordStatus(key, i, 'en_route');
    const srv = pushServer();
    const { fetch, requests } = fakeFetch((r) =>
      (r.body as { ops: Op[] }).ops.length > 2 ? [413, { code: 413, status: 'Request Entity Too Large', message: 'too large', errors: {} }] : srv.handle(r),
    );
    const res = await pushOutbox({ api: new ApiClient(fetch, staticTokens), key });
    expect(res.pushed).toBe(4);
    expect(requests.map((r) => (r.body as { ops: Op[] }).ops.length)).toEqual([4, 2, 2]);
    expect(await db().outbox.count()).toBe(0);
  });

  it('an op the answer leaves out stays queued between two that leave, and goes next', async () => {
    for (let i = 0; i < 3; i++) await recordStatus(key, i, 'en_route');
    const srv = pushServer();
    let calls = 0;
    const { fetch, requests } = fakeFetch((r) => {
      calls++;
      if (calls === 2) throw new TypeError('no signal');
      const [status, body] = srv.handle(r);
      if (calls === 1) (body as { results: PushResult[] }).results = (body as { results: PushResult[] }).results.filter((x) => x.seq !== 2);
      return [status, body];
    });
    const api = new ApiClient(fetch, staticTokens);
    await expect(pushOutbox({ api, key })).rejects.toThrow();
    expect((await db().outbox.toArray()).map((r) => r.seq)).toEqual([2]);
    const res = await pushOutbox({ api, key });
    expect(res.pushed).toBe(1);
    expect(requests.map((r) => (r.body as { ops: Op[] }).ops.map((o) => o.seq))).toEqual([[1, 2, 3], [2], [2]]);
    expect(await db().outbox.count()).toBe(0);
  });

  it('the next batch leaves before the answer to the one before is recorded', async () => {
    for (let i = 0; i < 7; i++) await recordStatus(key, i, 'en_route');
    const srv = pushServer();
    const events: string[] = [];
    const { fetch } = fakeFetch((r) => {
      events.push(`push ${(r.body as { ops: Op[] }).ops[0]!.seq}`);
      return srv.handle(r);
    });
    const onProgress = (p: { done: number }) => events.push(`recorded ${p.done}`);
    await pushOutbox({ api: new ApiClient(fetch, staticTokens), key, pushBatch: 3, onProgress });
    expect(events).toEqual(['push 1', 'push 4', 'recorded 3', 'push 7', 'recorded 6', 'recorded 7']);
    expect(srv.stored.map((o) => o.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await db().outbox.count()).toBe(0);
  });

  it('pushes in batches of at most the batch size, in seq order', async () => {
    for (let i = 0; i < 7; i++) await recordStatus(key, i, 'en_route');
    const srv = pushServer();
    const { fetch, requests } = fakeFetch((r) => srv.handle(r));
    await pushOutbox({ api: new ApiClient(fetch, staticTokens), key, pushBatch: 3 });
    expect(requests.map((r) => (r.body as { ops: Op[] }).ops.map((o) => o.seq))).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('refreshes an expired access token, keeps the rotated refresh token, and retries', async () => {
    await recordStatus(key, 1, 'en_route');
    const srv = pushServer();
    let held = { access: 'old', refresh: 'R1' };
    const tokens = { get: () => held, set: async (t: typeof held) => void (held = t) };
    const { fetch, requests } = fakeFetch((r) => {
      if (r.path === '/api/v1/auth/refresh') return [200, { access_token: 'new', refresh_token: 'R2', access_expires_in: 900 }];
      if (r.auth === 'Bearer old') return [401, { code: 401, status: 'Unauthorized', message: 'expired', action: 'refresh' }];
      return emptyPull(r) ?? srv.handle(r);
    });
    await syncOnce({ api: new ApiClient(fetch, tokens), key });
    expect(held).toEqual({ access: 'new', refresh: 'R2' });
    expect(requests.map((r) => r.path)).toEqual(['/api/v1/sync/push', '/api/v1/auth/refresh', '/api/v1/sync/push', '/api/v1/sync/pull?limit=2000']);
    expect(requests[1]!.auth).toBe('Bearer R1');
    expect(srv.stored).toHaveLength(1);
  });

  it('the next refresh sends the rotated refresh token, not the used-up one', async () => {
    let held = { access: 'expired-1', refresh: 'R1' };
    const tokens = { get: () => held, set: async (t: typeof held) => void (held = t) };
    let n = 0;
    const { fetch, requests } = fakeFetch((r) => {
      if (r.path === '/api/v1/auth/refresh') {
        n += 1;
        return [200, { access_token: `fresh-${n}`, refresh_token: `R${n + 1}`, access_expires_in: 900 }];
      }
      if (r.auth?.startsWith('Bearer expired')) return [401, { message: 'expired', action: 'refresh' }];
      return [200, { changes: [], cursor: 'c', has_more: false, total: 0, server_time: 't' }];
    });
    const api = new ApiClient(fetch, tokens);
    await api.pull(null, 10);
    held = { ...held, access: 'expired-2' };
    await api.pull(null, 10);
    expect(requests.filter((r) => r.path === '/api/v1/auth/refresh').map((r) => r.auth)).toEqual(['Bearer R1', 'Bearer R2']);
    expect(held.refresh).toBe('R3');
  });

  it('requests that find the access token expired together share one refresh', async () => {
    let held = { access: 'expired', refresh: 'R1' };
    const tokens = { get: () => held, set: async (t: typeof held) => void (held = t) };
    const { fetch, requests } = fakeFetch(async (r) => {
      if (r.path === '/api/v1/auth/refresh') {
        await new Promise((done) => setTimeout(done, 5));
        return [200, { access_token: 'fresh', refresh_token: 'R2', access_expires_in: 900 }];
      }
      if (r.auth === 'Bearer expired') return [401, { message: 'expired', action: 'refresh' }];
      return [200, { changes: [], cursor: 'c', has_more: false, total: 0, server_time: 't' }];
    });
    const api = new ApiClient(fetch, tokens);
    await Promise.all([api.pull(null, 10), api.pull(null, 10), api.pull(null, 10)]);
    expect(requests.filter((r) => r.path === '/api/v1/auth/refresh')).toHaveLength(1);
    expect(held).toEqual({ access: 'fresh', refresh: 'R2' });
  });

  it('a refresh token the server takes for a reused copy asks for a sign-in', async () => {
    const tokens = { get: () => ({ access: 'expired', refresh: 'R-old' }), set: async () => {} };
    const { fetch } = fakeFetch((r) => {
      if (r.path === '/api/v1/auth/refresh') return [401, { message: 'used from elsewhere', action: 'login' }];
      return [401, { message: 'expired', action: 'refresh' }];
    });
    await expect(new ApiClient(fetch, tokens).pull(null, 10)).rejects.toMatchObject({ name: 'AuthError', action: 'login' });
  });
});

describe('the server\'s clock', () => {
  const stamp = (wall: number, counter: number, node: string) => `${String(wall).padStart(13, '0')}-${String(counter).padStart(4, '0')}-${node}`;

  it('a push answer\'s HLC is merged into the device clock: the next op is stamped after it', async () => {
    await addNote(key, 3, 'before');
    const now = Date.now();
    const serverHlc = stamp(now + 30_000, 3, 'server'); // the tablet's clock is 30 s behind
    const srv = pushServer();
    const { fetch } = fakeFetch((r) => {
      const answer = srv.handle(r);
      return [answer[0], { ...(answer[1] as object), hlc: serverHlc }];
    });
    await pushOutbox({ api: new ApiClient(fetch, staticTokens), key, now: () => now });
    expect(await getMeta('hlc')).toBe(stamp(now + 30_000, 4, 'dev1'));
    const next = await addNote(key, 3, 'after');
    expect(next.hlc > serverHlc).toBe(true);
  });

  it('a pull answer\'s HLC is merged too, and one far ahead only moves the clock to now + MAX_DRIFT_MS', async () => {
    const now = Date.now();
    const far = stamp(now + 3 * 3600_000, 0, 'server');
    const { fetch } = fakeFetch(() => [200, { changes: [], cursor: 'c', has_more: false, total: 0, server_time: 't', hlc: far }]);
    await pullAll({ api: new ApiClient(fetch, staticTokens), key, now: () => now });
    expect(await getMeta('hlc')).toBe(stamp(now + MAX_DRIFT_MS, 1, 'dev1'));
  });
});

describe('pull', () => {
  const call = (id: number, extra: Record<string, unknown> = {}): Change => ({
    kind: 'call',
    id: String(id),
    op: 'put',
    version: 1,
    data: { id, priority: 2, received_at: '2026-11-25T01:00:00Z', narrative: `n${id}`, ...extra },
  });

  it('pages until has_more is false, saves the cursor, reports progress of the total', async () => {
    const pages = [
      { changes: [call(1), call(2)], cursor: 'p1', has_more: true, total: 3, server_time: 't1' },
      { changes: [call(3)], cursor: 'p2', has_more: false, total: 3, server_time: 't2' },
    ];
    const { fetch, requests } = fakeFetch(() => [200, pages.shift()]);
    const progress: [number, number | null][] = [];
    const res = await pullAll({ api: new ApiClient(fetch, staticTokens), key, onProgress: (p) => progress.push([p.done, p.total]) });
    expect(res.received).toBe(3);
    expect(progress).toEqual([
      [2, 3],
      [3, 3],
    ]);
    expect(requests.map((r) => r.path)).toEqual(['/api/v1/sync/pull?limit=2000', '/api/v1/sync/pull?limit=2000&cursor=p1']);
    expect(await getMeta('cursor')).toBe('p2');
    expect(await lastReceipt()).toBe('t2');
    expect(await db().calls.count()).toBe(3);
    const c = (await db().calls.get('2'))!;
    expect(c.clear).toEqual({ id: 2 });
    expect(await open(key, c.sealed!)).toMatchObject({ narrative: 'n2' });
  });

  it('removals and tombstones drop records but keep unsent ops', async () => {
    await applyChanges(key, [call(1), call(2), { kind: 'call_note', id: 'x', op: 'put', version: 1, data: { id: 'x', call_id: 1, body: 'b' } }], {
      cursor: 'c1',
      serverTime: 't',
    });
    await recordStatus(key, 1, 'on_scene');
    const { fetch } = fakeFetch(() => [
      200,
      {
        changes: [
          { kind: 'call', id: 1, op: 'remove' },
          { kind: 'call_note', id: 'x', op: 'delete' },
        ],
        cursor: 'c2',
        has_more: false,
        server_time: 't2',
      },
    ]);
    await pullAll({ api: new ApiClient(fetch, staticTokens), key });
    expect(await db().calls.get('1')).toBeUndefined();
    expect(await db().calls.get('2')).toBeDefined();
    expect(await db().notes.count()).toBe(0);
    expect(await db().outbox.count()).toBe(1);
  });

  it('410 resync clears records and cursor (not the outbox) and pulls from scratch', async () => {
    await applyChanges(key, [call(1), call(2)], { cursor: 'old', serverTime: 't' });
    await addNote(key, 1, 'unsent');
    const { fetch, requests } = fakeFetch((r) =>
      r.path.includes('cursor=old')
        ? [410, { code: 410, status: 'Gone', message: 'cursor too old', action: 'resync' }]
        : [200, { changes: [call(2)], cursor: 'fresh', has_more: false, total: 1, server_time: 't2' }],
    );
    const res = await pullAll({ api: new ApiClient(fetch, staticTokens), key });
    expect(res.resynced).toBe(true);
    expect(requests[1]!.path).toBe('/api/v1/sync/pull?limit=2000');
    expect((await db().calls.toArray()).map((c) => c.id)).toEqual(['2']);
    expect(await db().outbox.count()).toBe(1);
    expect(await getMeta('cursor')).toBe('fresh');
  });

  it('a 410 cut off halfway through the fresh snapshot keeps the old copy and cursor', async () => {
    await applyChanges(key, [call(1), call(2)], { cursor: 'old', serverTime: 't' });
    const { fetch } = fakeFetch((r) => {
      if (r.path.includes('cursor=old')) return [410, { code: 410, status: 'Gone', message: 'cursor too old', action: 'resync' }];
      if (!r.path.includes('cursor=')) return [200, { changes: [call(3)], cursor: 'snap1', has_more: true, total: 2, server_time: 't2' }];
      throw new TypeError('Failed to fetch');
    });
    await expect(pullAll({ api: new ApiClient(fetch, staticTokens), key })).rejects.toThrow();
    expect((await db().calls.toArray()).map((c) => c.id).sort()).toEqual(['1', '2']);
    expect(await getMeta('cursor')).toBe('old');
  });

  it('rebuild from server replaces the copy only once the whole snapshot has arrived', async () => {
    await applyChanges(key, [call(1), call(2)], { cursor: 'old', serverTime: 't' });
    await addNote(key, 1, 'unsent');
    const pages: Record<string, [number, unknown]> = {
      none: [200, { changes: [call(2)], cursor: 'snap1', has_more: true, total: 2, server_time: 't2' }],
      snap1: [200, { changes: [call(5)], cursor: 'fresh', has_more: false, server_time: 't3' }],
    };
    const seenBeforeLast: string[][] = [];
    const { fetch } = fakeFetch(async (r) => {
      const cursor = /cursor=([^&]+)/.exec(r.path)?.[1] ?? 'none';
      if (cursor === 'snap1') seenBeforeLast.push((await db().calls.toArray()).map((c) => c.id).sort());
      return pages[cursor]!;
    });
    const scheduler = testScheduler({ api: () => new ApiClient(fetch, staticTokens), key: () => key, onWipe: async () => {}, locks: null });
    expect(await scheduler.rebuildNow()).toBe('done');
    expect(seenBeforeLast).toEqual([['1', '2']]);
    expect((await db().calls.toArray()).map((c) => c.id).sort()).toEqual(['2', '5']);
    expect(await db().outbox.count()).toBe(1);
    expect(await getMeta('cursor')).toBe('fresh');
  });

  it('rebuild from server is refused with no signal and changes nothing', async () => {
    await applyChanges(key, [call(1)], { cursor: 'old', serverTime: 't' });
    const { fetch, requests } = fakeFetch(() => {
      throw new TypeError('Failed to fetch');
    });
    const scheduler = testScheduler({ api: () => new ApiClient(fetch, staticTokens), key: () => key, onWipe: async () => {}, locks: null });
    expect(await scheduler.rebuildNow()).toBe('offline');
    expect(requests.length).toBe(1);
    expect((await db().calls.toArray()).map((c) => c.id)).toEqual(['1']);
    expect(await getMeta('cursor')).toBe('old');
  });

  it('a failed page leaves the previous cursor in place', async () => {
    let n = 0;
    const { fetch } = fakeFetch(() =>
      n++ === 0 ? [200, { changes: [call(1)], cursor: 'p1', has_more: true, server_time: 't' }] : [500, { message: 'boom' }],
    );
    await expect(pullAll({ api: new ApiClient(fetch, staticTokens), key })).rejects.toThrow();
    expect(await getMeta('cursor')).toBe('p1');
  });

  it('unknown kinds are skipped, not fatal', async () => {
    const { fetch } = fakeFetch(() => [
      200,
      { changes: [{ kind: 'future_thing', id: 1, op: 'put', data: {} }, call(4)], cursor: 'z', has_more: false, server_time: 't' },
    ]);
    await pullAll({ api: new ApiClient(fetch, staticTokens), key });
    expect(await db().calls.count()).toBe(1);
  });
});

describe('scheduler', () => {
  it('runs no field sync for a role without it, and shows no problem', async () => {
    const { fetch, requests } = fakeFetch(() => [403, { code: 403, status: 'Forbidden', message: 'Your role may not do this.', errors: {} }]);
    const s = testScheduler({ api: () => new ApiClient(fetch, staticTokens), key: () => key, onWipe: async () => {}, locks: null, syncs: () => false });
    expect(await s.syncNow()).toBeNull();
    expect(requests).toEqual([]);
    expect(getSyncState().problem).toBeNull();
  });

  it('classifies no signal, backs off, and never runs two passes at once', async () => {
    await recordStatus(key, 1, 'en_route');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const srv = pushServer();
    const { fetch, requests } = fakeFetch(async (r) => {
      await gate;
      return emptyPull(r) ?? srv.handle(r);
    });
    const api = new ApiClient(fetch, staticTokens);
    const s = testScheduler({ api: () => api, key: () => key, onWipe: async () => {}, locks: null });
    const first = s.syncNow();
    const second = await s.syncNow();
    expect(second).toBeNull();
    release();
    expect((await first)?.pushed).toBe(1);
    expect(requests.filter((r) => r.path.endsWith('/push'))).toHaveLength(1);
    // The dropped call asked for one more pass when the first ended: it must end before the op
    // below is recorded, or it pushes that op through this server.
    await vi.waitFor(() => expect(getSyncState().running).toBe(false));

    const offline = testScheduler({
      api: () => new ApiClient(() => Promise.reject(new TypeError('Failed to fetch')), staticTokens),
      key: () => key,
      onWipe: async () => {},
      locks: null,
      random: () => 0.5,
    });
    await recordStatus(key, 1, 'on_scene');
    await offline.syncNow();
    expect(getSyncState().problem).toBe('offline');
    expect(getSyncState().nextRetryAt).not.toBeNull();
    offline.stop();
    expect(await db().outbox.count()).toBe(1);
  });

  it('two tabs sharing the Web Lock push each op once', async () => {
    for (let i = 0; i < 6; i++) await recordStatus(key, i, 'en_route');
    // A LockManager stand-in: exclusive, requests queue in order (what navigator.locks does).
    let tail: Promise<unknown> = Promise.resolve();
    const locks = {
      request: (_name: string, cb: () => Promise<unknown>) => {
        const run = tail.then(cb);
        tail = run.catch(() => undefined);
        return run;
      },
    } as unknown as LockManager;
    const srv = pushServer();
    const { fetch, requests } = fakeFetch(async (r) => {
      await new Promise((res) => setTimeout(res, 5));
      return emptyPull(r) ?? srv.handle(r);
    });
    const tab = () => testScheduler({ api: () => new ApiClient(fetch, staticTokens), key: () => key, onWipe: async () => {}, locks });
    await Promise.all([tab().syncNow(), tab().syncNow()]);
    const sent = requests.filter((r) => r.path.endsWith('/push')).flatMap((r) => (r.body as { ops: Op[] }).ops.map((o) => o.id));
    expect(sent).toHaveLength(6);
    expect(new Set(sent).size).toBe(6);
    expect(await db().outbox.count()).toBe(0);
  });

  it('a wipe answer calls onWipe', async () => {
    let wiped = false;
    const { fetch } = fakeFetch(() => [401, { message: 'revoked', action: 'wipe' }]);
    const api = new ApiClient(fetch, staticTokens);
    await recordStatus(key, 1, 'en_route');
    const s = testScheduler({ api: () => api, key: () => key, onWipe: async () => void (wiped = true), locks: null });
    await s.syncNow();
    expect(wiped).toBe(true);
  });
});

describe('answers cut short', () => {
  /** What fetch hands back when the link drops after the headers: reading the body fails. */
  function cutAfterHeaders(status: number, firstBytes: string): Response {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(firstBytes));
        c.error(new TypeError('network error'));
      },
    });
    return new Response(body, { status, headers: { 'Content-Type': 'application/json' } });
  }

  /** The push server applies every batch; the first answer arrives as `spoil` makes it. */
  function spoiledOnce(spoil: (whole: string, status: number) => Response) {
    const srv = pushServer();
    let spoiled = false;
    const fetch: FetchFn = async (input, init) => {
      const path = new URL(input, 'http://tablet.test').pathname;
      const r: Req = { method: init?.method ?? 'GET', path, body: init?.body ? JSON.parse(String(init.body)) : undefined, auth: null };
      const [status, body] = emptyPull(r) ?? srv.handle(r);
      const whole = JSON.stringify(body);
      if (!spoiled && path.endsWith('/push')) {
        spoiled = true;
        return spoil(whole, status);
      }
      return new Response(whole, { status, headers: { 'Content-Type': 'application/json' } });
    };
    return { srv, fetch };
  }

  const spoilers: [string, (whole: string, status: number) => Response][] = [
    ['cut off after its headers', (whole, status) => cutAfterHeaders(status, whole.slice(0, 20))],
    ['that is a 2xx page, not JSON', (_w, status) => new Response('<html>Bad gateway</html>', { status })],
    ['a 2xx cut short mid-JSON', (whole, status) => new Response(whole.slice(0, whole.length - 5), { status })],
  ];

  for (const [what, spoil] of spoilers) {
    it(`a push answer ${what} is a network failure; the retry lands each op once`, async () => {
      await recordStatus(key, 1, 'en_route');
      await recordStatus(key, 1, 'on_scene');
      const { srv, fetch } = spoiledOnce(spoil);
      const api = new ApiClient(fetch, staticTokens);
      const failed = await pushOutbox({ api, key }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(NetworkError);
      expect(classify(failed)).toBe('offline');
      expect(await db().outbox.count()).toBe(2);
      const res = await pushOutbox({ api, key });
      expect(res.pushed).toBe(2);
      expect(srv.stored).toHaveLength(2);
      expect(await db().outbox.count()).toBe(0);
    });
  }

  it('the scheduler shows no signal and retries, not a server error', async () => {
    await recordStatus(key, 1, 'en_route');
    const { srv, fetch } = spoiledOnce((whole, status) => cutAfterHeaders(status, whole.slice(0, 10)));
    const s = testScheduler({ api: () => new ApiClient(fetch, staticTokens), key: () => key, onWipe: async () => {}, locks: null, random: () => 0.5 });
    expect(await s.syncNow()).toBeNull();
    expect(getSyncState().problem).toBe('offline');
    expect(getSyncState().nextRetryAt).not.toBeNull();
    const report = await s.syncNow();
    s.stop();
    expect(report?.pushed).toBe(1);
    expect(srv.stored).toHaveLength(1);
    expect(getSyncState().problem).toBeNull();
  });

  it('sign-out, the one answer without a body, still succeeds', async () => {
    const fetch: FetchFn = async () => new Response(null, { status: 204 });
    await expect(new ApiClient(fetch, staticTokens).logout()).resolves.toBeUndefined();
  });
});

describe('revocation', () => {
  const retiredPull = (r: Req): [number, unknown] | null =>
    r.path.startsWith('/api/v1/sync/pull') ? [401, { message: 'This tablet was retired.', action: 'retire' }] : null;

  it('a lost answer wipes as lost at once, without sending', async () => {
    const why: string[] = [];
    const { fetch, requests } = fakeFetch(() => [401, { message: 'lost', action: 'wipe' }]);
    await recordStatus(key, 1, 'en_route');
    const s = testScheduler({ api: () => new ApiClient(fetch, staticTokens), key: () => key, onWipe: async (r) => void why.push(r), locks: null });
    await s.syncNow();
    expect(why).toEqual(['lost']);
    expect(requests).toHaveLength(1);
  });

  it('a retired tablet sends its whole outbox, then wipes as retired', async () => {
    await addNote(key, 3, 'calm now');
    await recordStatus(key, 3, 'on_scene');
    await recordStatus(key, 3, 'cleared');
    const srv = pushServer();
    const { fetch } = fakeFetch((r) => retiredPull(r) ?? srv.handle(r));
    const wiped: { why: string; unsent: number }[] = [];
    const onWipe = async (why: string) => void wiped.push({ why, unsent: await db().outbox.count() });
    const s = testScheduler({ api: () => new ApiClient(fetch, staticTokens), key: () => key, onWipe, locks: null });
    await s.syncNow();
    expect(srv.stored.map((o) => o.seq)).toEqual([1, 2, 3]);
    expect(wiped).toEqual([{ why: 'retired', unsent: 0 }]);
  });

  it('a retired tablet with no signal keeps its outbox, and wipes once it has sent it', async () => {
    await recordStatus(key, 3, 'on_scene');
    const srv = pushServer();
    let signal = false;
    const { fetch } = fakeFetch((r) => {
      if (r.path.startsWith('/api/v1/sync/push') && !signal) throw new TypeError('Failed to fetch');
      return retiredPull(r) ?? srv.handle(r);
    });
    const wiped: string[] = [];
    const s = testScheduler({ api: () => new ApiClient(fetch, staticTokens), key: () => key, onWipe: async (r) => void wiped.push(r), locks: null });
    expect(await s.rebuildNow()).toBe('failed'); // the snapshot is refused: it starts sending instead
    s.stop();
    expect(wiped).toEqual([]);
    expect(await db().outbox.count()).toBe(1);
    expect(getSyncState().problem).toBe('offline');

    signal = true;
    await s.syncNow();
    s.stop();
    expect(srv.stored).toHaveLength(1);
    expect(wiped).toEqual(['retired']);
  });

  it('a retired tablet the server takes nothing more from wipes with its unsent entries counted', async () => {
    await recordStatus(key, 3, 'on_scene');
    const { fetch } = fakeFetch((r) =>
      r.path.startsWith('/api/v1/sync/push') ? [401, { message: 'signed out', action: 'login' }] : (retiredPull(r) ?? [404, {}]),
    );
    const wiped: { why: string; unsent: number }[] = [];
    const onWipe = async (why: string) => void wiped.push({ why, unsent: await db().outbox.count() });
    const s = testScheduler({ api: () => new ApiClient(fetch, staticTokens), key: () => key, onWipe, locks: null });
    expect(await s.rebuildNow()).toBe('failed');
    expect(wiped).toEqual([{ why: 'retired', unsent: 1 }]);
  });
});

describe('client rules of sync/client.py', () => {
  it('a rejected fact made here leaves the local records', async () => {
    const op = await addNote(key, 3, 'bad note');
    expect(await db().notes.get(op.record_id)).toBeDefined();
    const srv = pushServer(() => 'rejected');
    const { fetch } = fakeFetch((r) => srv.handle(r));
    await pushOutbox({ api: new ApiClient(fetch, staticTokens), key });
    expect(await db().notes.get(op.record_id)).toBeUndefined();
    expect(await db().rejected.count()).toBe(1);
  });

  it('an answer deferring every op of a batch is an error, and the ops stay', async () => {
    await recordStatus(key, 1, 'en_route');
    const { fetch } = fakeFetch((r) => {
      const ops = (r.body as { ops: Op[] }).ops;
      return [200, { results: ops.map((o) => ({ id: o.id, seq: o.seq, outcome: 'deferred' })), last_seq: 40, server_time: 't' }];
    });
    await expect(pushOutbox({ api: new ApiClient(fetch, staticTokens), key })).rejects.toThrow('seq 41');
    expect(await db().outbox.count()).toBe(1);
  });

  it("takes the result's record: the next edit carries the new base_version", async () => {
    await applyChanges(key, [{ kind: 'call', id: 'c1', op: 'put', version: 3, data: { id: 'c1', priority: 1, received_at: 't', disposition: null } }], {
      cursor: 'x',
      serverTime: 't',
    });
    const { updateCall } = await import('../src/db');
    await updateCall(key, (await getCall('c1'))!, { disposition: 'home with family' });
    const { fetch } = fakeFetch((r) => {
      const op = (r.body as { ops: Op[] }).ops[0]!;
      return [
        200,
        {
          results: [{ id: op.id, seq: op.seq, outcome: 'applied', version: 4, record: { id: 'c1', priority: 1, received_at: 't', disposition: 'home with family', version: 4 } }],
          last_seq: op.seq,
          server_time: 't',
        },
      ];
    });
    await pushOutbox({ api: new ApiClient(fetch, staticTokens), key });
    const call = (await getCall('c1'))!;
    expect(call.version).toBe(4);
    expect(call.localSealed).toBeNull();
    expect(call.clear.disposition).toBe('home with family');
    const next = await updateCall(key, call, { transport_destination: 'none' });
    expect(next.base_version).toBe(4);
  });

  it('a resync keeps facts made here that are still unsent', async () => {
    await applyChanges(key, [call4()], { cursor: 'old', serverTime: 't' });
    const mine = await addNote(key, 4, 'unsent note');
    const { fetch } = fakeFetch((r) =>
      r.path.includes('cursor=old') ? [410, { action: 'resync' }] : [200, { changes: [], cursor: 'new', has_more: false, server_time: 't' }],
    );
    await pullAll({ api: new ApiClient(fetch, staticTokens), key });
    expect(await db().calls.count()).toBe(0);
    expect(await db().notes.get(mine.record_id)).toBeDefined();
  });

  it('an unreadable cursor answers 410 resync: the pull starts from scratch', async () => {
    await applyChanges(key, [call4()], { cursor: 'garbage', serverTime: 't' });
    const { fetch, requests } = fakeFetch((r) =>
      r.path.includes('cursor=garbage')
        ? [410, { code: 410, status: 'Gone', message: 'The server cannot read this cursor: resync from scratch.', action: 'resync' }]
        : [200, { changes: [call4()], cursor: 'fresh', has_more: false, server_time: 't' }],
    );
    await pullAll({ api: new ApiClient(fetch, staticTokens), key });
    expect(requests).toHaveLength(2);
    expect(await getMeta('cursor')).toBe('fresh');
  });

  it.each([
    [422, { code: 422, message: 'bad cursor', errors: { query: { cursor: ['Longer than maximum length 1024.'] } } }],
    [410, { code: 410, message: 'gone, no action' }],
  ])('a %i without the resync action keeps the copy and the cursor (the action decides, not the text)', async (status, body) => {
    await applyChanges(key, [call4()], { cursor: 'kept', serverTime: 't' });
    const { fetch, requests } = fakeFetch((r) => (r.path.includes('cursor=kept') ? [status, body] : [200, { changes: [], cursor: 'fresh', has_more: false, server_time: 't' }]));
    await expect(pullAll({ api: new ApiClient(fetch, staticTokens), key })).rejects.toMatchObject({ status });
    expect(requests).toHaveLength(1);
    expect(await getMeta('cursor')).toBe('kept');
    expect(await db().calls.count()).toBe(1);
  });

  it('a capture the server would reject is refused and queues nothing', async () => {
    await expect(addNote(key, 1, '')).rejects.toThrow('data.body');
    await expect(addNote(key, 1, 'x'.repeat(10_001))).rejects.toThrow('data.body');
    await expect(recordStatus(key, 1, 'flying' as never)).rejects.toThrow('data.status');
    expect(await db().outbox.count()).toBe(0);
  });
});

function call4(): Change {
  return { kind: 'call', id: '4', op: 'put', version: 1, data: { id: 4, priority: 1, received_at: 't', narrative: 'n' } };
}
