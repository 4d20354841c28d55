import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../src/api/client';
import { db, recordLocation } from '../src/db';
import { isOpen, requestBackup, stageOf } from '../src/lib/backups';
import { fakeFetch, freshUnlockedDevice, staticTokens, stopSchedulers, testScheduler, testUser, unlockWith } from './helpers';

// A scheduler's retry timer must not fire in the next test.
afterEach(stopSchedulers);

const answer = (id: string, extra: Record<string, unknown> = {}) => ({
  id, state: 'open', delivered_to: 0, acknowledged_by: null, acknowledged_at: null,
  closed_by: null, closed_at: null, close_reason: null, tier_name: 'alert', ...extra,
});
const offline = () => {
  throw new TypeError('Failed to fetch');
};

describe('backup requests from the tablet', () => {
  let key: CryptoKey;
  beforeEach(async () => {
    key = await freshUnlockedDevice();
  });

  it('a request made offline is sent before the older queued operations when the signal is back', async () => {
    await recordLocation(35.99, -78.9, 10); // older work in the outbox
    const down = fakeFetch(offline);
    const row = await requestBackup(new ApiClient(down.fetch, staticTokens), { urgency: 'urgent', callId: null, position: null });
    expect(stageOf(row)).toBe('queued');

    const up = fakeFetch((r) =>
      r.path === '/api/v1/backups'
        ? [201, answer((r.body as { id: string }).id)]
        : r.path.startsWith('/api/v1/sync/push')
          ? [200, { results: [], server_time: new Date().toISOString(), protocol: 2 }]
          : [200, { changes: [], cursor: 'c', has_more: false, server_time: new Date().toISOString() }],
    );
    const scheduler = testScheduler({ api: () => new ApiClient(up.fetch, staticTokens), key: () => key, onWipe: async () => {}, locks: null });
    await scheduler.syncNow();
    const order = up.requests.map((r) => r.path.split('?')[0]);
    expect(order[0]).toBe('/api/v1/backups');
    expect(order.indexOf('/api/v1/backups')).toBeLessThan(order.findIndex((p) => p.startsWith('/api/v1/sync')));
    expect((await db().backups.get(row.id))?.state).toBe('sent');
  });

  it('a press queued on a shared tablet names the person who pressed, whoever is unlocked when it goes', async () => {
    const row = await requestBackup(new ApiClient(fakeFetch(offline).fetch, staticTokens), { urgency: 'urgent', callId: null, position: null });
    await unlockWith(key, { ...testUser, id: 8, username: 'peer1', full_name: 'Sam Ortiz', role: 'responder_peer' });
    const up = fakeFetch((r) => [201, answer((r.body as { id: string }).id)]);
    const scheduler = testScheduler({ api: () => new ApiClient(up.fetch, staticTokens), key: () => key, onWipe: async () => {}, locks: null });
    await scheduler.syncNow();
    const sent = up.requests.find((r) => r.path === '/api/v1/backups');
    expect(sent?.body).toMatchObject({ id: row.id, pressed_by: testUser.id });
  });

  it('a second press while help is on its way is the same request, sent again with the same id', async () => {
    const { fetch, requests } = fakeFetch((r) => [201, answer((r.body as { id: string }).id)]);
    const api = new ApiClient(fetch, staticTokens);
    const first = await requestBackup(api, { urgency: 'urgent', callId: null, position: null });
    const second = await requestBackup(api, { urgency: 'team', callId: null, position: null });
    expect(second.id).toBe(first.id);
    expect(new Set(requests.map((r) => (r.body as { id: string }).id))).toEqual(new Set([first.id]));
    expect(await db().backups.count()).toBe(1);
  });

  it('shows sent, delivered to N, then acknowledged by a named person; a closed one lets a new press make a new request', async () => {
    let reply: Record<string, unknown> = {};
    const { fetch } = fakeFetch((r) => [201, answer((r.body as { id: string }).id, reply)]);
    const api = new ApiClient(fetch, staticTokens);
    const row = await requestBackup(api, { urgency: 'urgent', callId: null, position: null });
    expect(stageOf(row)).toBe('sent');
    await db().backups.update(row.id, { server: answer(row.id, { delivered_to: 3 }) });
    expect(stageOf((await db().backups.get(row.id))!)).toBe('delivered');
    await db().backups.update(row.id, { server: answer(row.id, { state: 'acknowledged', acknowledged_by: { id: 1, name: 'Sam Lee' } }) });
    const acked = (await db().backups.get(row.id))!;
    expect(stageOf(acked)).toBe('acknowledged');
    expect(isOpen(acked)).toBe(false);
    reply = {};
    const next = await requestBackup(api, { urgency: 'team', callId: null, position: null });
    expect(next.id).not.toBe(row.id);
  });

  it('a refusal is kept queued with its reason, never dropped', async () => {
    const { fetch } = fakeFetch(() => [403, { code: 403, status: 'Forbidden', message: 'not on shift' }]);
    const row = await requestBackup(new ApiClient(fetch, staticTokens), { urgency: 'urgent', callId: null, position: null });
    const kept = (await db().backups.get(row.id))!;
    expect(kept.state).toBe('queued');
    expect(kept.lastError).toBe('not on shift');
  });
});
