import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../src/api/client';
import type { Change } from '../src/api/types';
import { applyChanges, db, recordStatus, withdrawStatus } from '../src/db';
import { checkinDueAt, checkinRulesFrom, DEFAULT_CHECKIN_RULES, type CheckinInput } from '../src/lib/checkin';
import { answerCheckin, CHECKIN_RETRY_MS, nextCheckin, sendCheckin } from '../src/lib/checkinAnswers';
import { forgetServerTime, learnServerTime, setClocks } from '../src/lib/deviceClock';
import { fakeFetch, freshUnlockedDevice, staticTokens, stopSchedulers, testScheduler, testUser } from './helpers';

// A scheduler's retry timer must not fire in the next test.
afterEach(stopSchedulers);

const MINUTE = 60_000;
const T = Date.parse('2026-11-25T01:00:00.000Z');
const at = (minutes: number) => new Date(T + minutes * MINUTE).toISOString();
const fact = (id: string, status: string, minutes: number, withdraws: string | null = null) => ({ id, status, at: at(minutes), author: 7, withdraws });
const rules = { afterMinutes: 20, byCallType: { welfare_check: 45 } };
const offline = () => {
  throw new TypeError('Failed to fetch');
};

describe('when the crew is asked "All OK?"', () => {
  const base: CheckinInput = { serverStatus: 'dispatched', callType: 'mental_health', facts: [], answers: [], rules, now: T + 30 * MINUTE };
  const cases: { name: string; input: Partial<CheckinInput>; due: number | null }[] = [
    { name: 'not on scene yet: never', input: { facts: [fact('a', 'en_route', 0)] }, due: null },
    { name: 'no status at all: never', input: { serverStatus: 'received' }, due: null },
    { name: 'on scene: after the default minutes', input: { facts: [fact('a', 'en_route', -10), fact('b', 'on_scene', 0)] }, due: T + 20 * MINUTE },
    { name: 'transporting: no longer asked', input: { facts: [fact('b', 'on_scene', 0), fact('c', 'transporting', 5)] }, due: null },
    {
      name: 'a later status change (a tap withdrawn) restarts the window',
      input: { facts: [fact('b', 'on_scene', 0), fact('c', 'transporting', 5), fact('d', 'transporting', 6, 'c')] },
      due: T + 26 * MINUTE,
    },
    { name: 'an answer restarts the window', input: { facts: [fact('b', 'on_scene', 0)], answers: [T + 15 * MINUTE] }, due: T + 35 * MINUTE },
    { name: 'only the last answer counts', input: { facts: [fact('b', 'on_scene', 0)], answers: [T + 25 * MINUTE, T + 5 * MINUTE] }, due: T + 45 * MINUTE },
    { name: "the call type's own minutes", input: { callType: 'welfare_check', facts: [fact('b', 'on_scene', 0)] }, due: T + 45 * MINUTE },
    { name: 'an unknown call type: the default', input: { callType: null, facts: [fact('b', 'on_scene', 0)] }, due: T + 20 * MINUTE },
    {
      name: 'a sign of life dated after now (stamped while the clock was ahead) counts as now',
      input: { facts: [fact('b', 'on_scene', 0)], answers: [T + 600 * MINUTE] },
      due: T + 50 * MINUTE,
    },
    { name: 'a time that does not parse is no sign of life', input: { facts: [fact('b', 'on_scene', 0)], answers: [NaN] }, due: T + 20 * MINUTE },
    {
      name: "the server's prompt for this window brings it forward",
      input: { facts: [fact('b', 'on_scene', 0)], now: T + 12 * MINUTE, serverPrompt: { since: T, receivedAt: T + 12 * MINUTE } },
      due: T + 12 * MINUTE,
    },
    {
      name: "the server's prompt for a window already answered here is stale",
      input: { facts: [fact('b', 'on_scene', 0)], answers: [T + 21 * MINUTE], serverPrompt: { since: T, receivedAt: T + 22 * MINUTE } },
      due: T + 41 * MINUTE,
    },
    {
      name: "an answer after the server's prompt came answers it, however recent its window",
      input: { facts: [fact('b', 'on_scene', 0)], answers: [T + 2 * MINUTE], now: T + 3 * MINUTE, serverPrompt: { since: T + 1 * MINUTE, receivedAt: T + 1 * MINUTE } },
      due: T + 22 * MINUTE,
    },
  ];
  it.each(cases)('$name', ({ input, due }) => {
    expect(checkinDueAt({ ...base, ...input })).toBe(due);
  });

  it("reads the server's settings, keeping the defaults for what is missing or nonsense", () => {
    expect(checkinRulesFrom(null)).toEqual(DEFAULT_CHECKIN_RULES);
    expect(checkinRulesFrom({ checkin: { after_minutes: 15, after_minutes_by_call_type: { welfare_check: 45, odd: -3 } } })).toEqual({
      afterMinutes: 15,
      byCallType: { welfare_check: 45 },
    });
    expect(checkinRulesFrom({ checkin: { after_minutes: 0 } }).afterMinutes).toBe(DEFAULT_CHECKIN_RULES.afterMinutes);
  });
});

describe('answering "All OK" on the tablet', () => {
  let key: CryptoKey;
  let wall = T;
  beforeEach(async () => {
    key = await freshUnlockedDevice();
    wall = T;
    setClocks({ wall: () => wall, monotonic: () => wall - T });
    forgetServerTime();
    const call: Change = { kind: 'call', id: '41', op: 'put', version: 1, data: { id: 41, priority: 2, received_at: at(-30), status: 'dispatched', call_type: 'welfare_check', call_type_name: 'Welfare check' } };
    await applyChanges(key, [call], { cursor: 'c1', serverTime: at(0) });
  });
  afterEach(() => setClocks());

  it('is due from the on-scene tap and the cached minutes for the call type, with no signal', async () => {
    expect(await nextCheckin(rules, wall, new Map())).toBeNull();
    await recordStatus(key, 41, 'on_scene');
    const due = await nextCheckin(rules, wall, new Map());
    expect(due).toMatchObject({ callId: '41', dueAt: T + 45 * MINUTE, title: 'Welfare check' });
  });

  it('one tap offline writes one queued answer in one transaction; the window restarts; it goes first when the signal is back', async () => {
    await recordStatus(key, 41, 'on_scene');
    wall = T + 46 * MINUTE;
    const transaction = vi.spyOn(db(), 'transaction');
    const row = await answerCheckin(new ApiClient(fakeFetch(offline).fetch, staticTokens), '41');
    expect(transaction).toHaveBeenCalledTimes(1);
    expect(row).toMatchObject({ callId: '41', state: 'queued', deviceTime: at(46), at: at(46), lastError: null });
    expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((await nextCheckin(rules, wall, new Map()))?.dueAt).toBe(T + 91 * MINUTE);

    const up = fakeFetch((r) =>
      r.path === '/api/v1/checkins'
        ? [201, { id: row.id }]
        : r.path.startsWith('/api/v1/sync/push')
          ? [200, { results: [], server_time: at(47), protocol: 2 }]
          : [200, { changes: [], cursor: 'c2', has_more: false, server_time: at(47) }],
    );
    await testScheduler({ api: () => new ApiClient(up.fetch, staticTokens), key: () => key, onWipe: async () => {}, locks: null }).syncNow();
    expect(up.requests[0]).toMatchObject({ method: 'POST', path: '/api/v1/checkins', body: { id: row.id, call_id: '41', device_time: at(46), answered_by: testUser.id } });
    expect((await db().checkinAnswers.get(row.id))?.state).toBe('sent');
  });

  it('online, the tap is sent at once', async () => {
    await recordStatus(key, 41, 'on_scene');
    const { fetch, requests } = fakeFetch((r) => [201, { id: (r.body as { id: string }).id }]);
    const row = await answerCheckin(new ApiClient(fetch, staticTokens), '41');
    expect(row.state).toBe('sent');
    expect(requests.map((r) => r.path)).toEqual(['/api/v1/checkins']);
  });

  it('a later status change restarts the window as well', async () => {
    const tap = await recordStatus(key, 41, 'on_scene');
    wall = T + 2 * MINUTE;
    await recordStatus(key, 41, 'transporting');
    expect(await nextCheckin(rules, wall, new Map())).toBeNull();
    wall = T + 3 * MINUTE;
    const transporting = (await db().statusEvents.toArray()).find((e) => e.id !== tap.record_id)!;
    await withdrawStatus(key, 41, { id: transporting.id, status: 'transporting' });
    expect((await nextCheckin(rules, wall, new Map()))?.dueAt).toBe(T + 48 * MINUTE);
  });

  it('a device clock hours ahead: the answer sends its own time, and the timer counts on the corrected clock', async () => {
    await recordStatus(key, 41, 'on_scene');
    wall = T + 30 * MINUTE + 5 * 60 * MINUTE; // the tablet's clock set five hours ahead
    learnServerTime(at(30));
    const row = await answerCheckin(null, '41');
    expect(row.deviceTime).toBe(at(330));
    expect(row.at).toBe(at(30));
    expect((await nextCheckin(rules, T + 30 * MINUTE, new Map()))?.dueAt).toBe(T + 75 * MINUTE);
  });

  it("the server's prompt shows it at once when the tablet's reckoning is behind", async () => {
    await recordStatus(key, 41, 'on_scene');
    const prompts = new Map([['41', { since: T, receivedAt: T + 5 * MINUTE }]]);
    expect((await nextCheckin(rules, T + 5 * MINUTE, prompts))?.dueAt).toBe(T + 5 * MINUTE);
  });

  it('a refused answer (the on-scene tap not pushed yet) stays queued with its reason and goes at the next pass', async () => {
    await recordStatus(key, 41, 'on_scene');
    let onSceneKnown = false;
    const { fetch, requests } = fakeFetch((r) => {
      if (r.path === '/api/v1/checkins')
        return onSceneKnown ? [201, { id: (r.body as { id: string }).id }] : [422, { code: 422, status: 'Unprocessable', message: 'Not a call your unit is on scene at.' }];
      if (r.path.startsWith('/api/v1/sync/push')) {
        onSceneKnown = true;
        return [200, { results: [], server_time: at(1), protocol: 2 }];
      }
      return [200, { changes: [], cursor: 'c2', has_more: false, server_time: at(1) }];
    });
    const api = new ApiClient(fetch, staticTokens);
    const row = await answerCheckin(api, '41');
    expect(row).toMatchObject({ state: 'queued', lastError: 'Not a call your unit is on scene at.' });
    const scheduler = testScheduler({ api: () => api, key: () => key, onWipe: async () => {}, locks: null });
    await scheduler.syncNow(); // refused again (before the push), then the push tells the server
    await scheduler.syncNow();
    expect(await db().checkinAnswers.get(row.id)).toMatchObject({ state: 'sent', lastError: null });
    expect(requests.filter((r) => r.path === '/api/v1/checkins')).toHaveLength(3);
  });

  it('an answer still refused an hour on is given up, its reason kept', async () => {
    await recordStatus(key, 41, 'on_scene');
    const { fetch } = fakeFetch(() => [422, { code: 422, status: 'Unprocessable', message: 'Not a call your unit is on scene at.' }]);
    const api = new ApiClient(fetch, staticTokens);
    const row = await answerCheckin(api, '41');
    wall = T + CHECKIN_RETRY_MS + MINUTE;
    await sendCheckin(api, (await db().checkinAnswers.get(row.id))!);
    expect(await db().checkinAnswers.get(row.id)).toMatchObject({ state: 'sent', lastError: 'Not a call your unit is on scene at.' });
  });
});
