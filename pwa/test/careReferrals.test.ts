import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../src/api/client';
import { setSession } from '../src/crypto/session';
import { db } from '../src/db';
import { referToCare, sendQueuedReferrals } from '../src/lib/careReferrals';
import { fakeFetch, freshUnlockedDevice, staticTokens, stopSchedulers, testScheduler, testUser, unlockWith } from './helpers';

afterEach(stopSchedulers);

const offline = () => {
  throw new TypeError('Failed to fetch');
};
const NEED = 'housing for a mother and child';
const NOTE = 'Sleeps in her car behind the clinic';

describe('referrals to community care from the tablet', () => {
  let key: CryptoKey;
  beforeEach(async () => {
    key = await freshUnlockedDevice();
  });

  it('made offline, it is kept sealed and sent with the next sync pass, the same id, credited to its maker', async () => {
    const row = await referToCare(new ApiClient(fakeFetch(offline).fetch, staticTokens), 'call-1', NEED, NOTE);
    expect(row.state).toBe('queued');
    const stored = JSON.stringify(await db().careReferrals.toArray());
    expect(stored).not.toContain('housing');
    expect(stored).not.toContain('car');

    await unlockWith(key, { ...testUser, id: 8, username: 'peer1', full_name: 'Sam Ortiz', role: 'responder_peer' });
    const up = fakeFetch((r) =>
      r.path === '/api/v1/care/referrals'
        ? [201, { id: (r.body as { id: string }).id }]
        : r.path.startsWith('/api/v1/sync/push')
          ? [200, { results: [], server_time: new Date().toISOString(), protocol: 2 }]
          : [200, { changes: [], cursor: 'c', has_more: false, server_time: new Date().toISOString() }],
    );
    const scheduler = testScheduler({ api: () => new ApiClient(up.fetch, staticTokens), key: () => key, onWipe: async () => {}, locks: null });
    await scheduler.syncNow();
    const sent = up.requests.filter((r) => r.path === '/api/v1/care/referrals');
    expect(sent.map((r) => r.body)).toEqual([{ id: row.id, call_id: 'call-1', resource_id: null, need: NEED, note: NOTE, made_by: testUser.id }]);
    expect((await db().careReferrals.get(row.id))?.state).toBe('sent');
  });

  it('a refusal is kept with its reason and not sent again; a server error keeps it queued', async () => {
    const down = await referToCare(new ApiClient(fakeFetch(() => [503, { message: 'busy' }]).fetch, staticTokens), 'call-2', null, null);
    expect(down.state).toBe('queued');
    const refused = await referToCare(new ApiClient(fakeFetch(() => [404, { message: 'not a call of your unit' }]).fetch, staticTokens), 'call-3', null, null);
    expect(refused.state).toBe('refused');
    expect(refused.lastError).toContain('not a call of your unit');
    const later = fakeFetch((r) => [201, { id: (r.body as { id: string }).id }]);
    expect(await sendQueuedReferrals(new ApiClient(later.fetch, staticTokens))).toBe(1);
    expect(later.requests.map((r) => (r.body as { call_id: string }).call_id)).toEqual(['call-2']);
  });

  it('waits while the tablet is locked (what it says is sealed)', async () => {
    await referToCare(new ApiClient(fakeFetch(offline).fetch, staticTokens), 'call-4', NEED, null);
    setSession(null);
    const up = fakeFetch(() => [201, {}]);
    expect(await sendQueuedReferrals(new ApiClient(up.fetch, staticTokens))).toBe(0);
    expect(up.requests).toEqual([]);
  });
});
