import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../src/api/client';
import type { Op } from '../src/api/types';
import { addNote, db, recordStatus, setMeta, statusEventsFor } from '../src/db';
import { forgetServerTime, setClocks } from '../src/lib/deviceClock';
import { pullAll, pushOutbox } from '../src/sync/engine';
import { fakeFetch, freshDb, newDataKey, staticTokens, unlockWith, type Req } from './helpers';

const MINUTE = 60_000;
const EPOCH = 0;
const SERVER_START = Date.parse('2026-11-25T01:00:00.000Z');

/** A shift whose minutes pass at the test's command: the server's clock, the tablet's wall clock
 * (set to anything, then running on) and its monotonic clock (standing still while it sleeps). */
class Shift {
  real = SERVER_START;
  wallOffset = 0;
  monotonic = 12_345;
  passes(minutes: number, asleep = false) {
    this.real += minutes * MINUTE;
    if (!asleep) this.monotonic += minutes * MINUTE;
  }
  setWall(reads: number) {
    this.wallOffset = reads - this.real;
  }
  wall = () => this.real + this.wallOffset;
}

let key: CryptoKey;
let shift: Shift;
beforeEach(async () => {
  freshDb();
  key = await newDataKey();
  await setMeta('device_id', 'dev1');
  await unlockWith(key);
  shift = new Shift();
  setClocks({ wall: shift.wall, monotonic: () => shift.monotonic });
  forgetServerTime();
});
afterEach(() => setClocks());

/** Answers pulls with nothing and pushes with `applied`, each with the server's time now. */
function server() {
  const pushed: Op[] = [];
  const handle = (r: Req): [number, unknown] => {
    const server_time = new Date(shift.real).toISOString();
    if (r.path.startsWith('/api/v1/sync/pull')) return [200, { changes: [], cursor: 'c', has_more: false, total: 0, server_time }];
    const ops = (r.body as { ops: Op[] }).ops;
    pushed.push(...ops);
    const results = ops.map((op) => ({ id: op.id, seq: op.seq, outcome: 'applied', record_id: op.record_id }));
    return [200, { results, last_seq: ops.at(-1)!.seq, server_time, skew_ms: 0 }];
  };
  const { fetch } = fakeFetch(handle);
  return { api: new ApiClient(fetch, staticTokens), pushed };
}

/** The capture time an op's clock reading gives: what the server uses when the clocks agree or not. */
const readingTime = (op: Op) => Date.parse(op.clock!.server_time) + op.clock!.elapsed_ms;

describe('clock reading on every op', () => {
  it('taps under a 1970 clock, then 3 h ahead, then right, pushed under 1970, each carry their real time', async () => {
    const { api, pushed } = server();
    await pullAll({ api, key }); // learns the server's time
    const tappedAt: number[] = [];
    shift.passes(5);
    shift.setWall(EPOCH);
    tappedAt.push(shift.real);
    await recordStatus(key, 'c1', 'en_route');
    shift.passes(5);
    shift.setWall(shift.real + 180 * MINUTE);
    tappedAt.push(shift.real);
    await recordStatus(key, 'c1', 'on_scene');
    shift.passes(5);
    shift.setWall(shift.real);
    tappedAt.push(shift.real);
    await recordStatus(key, 'c1', 'transporting');
    shift.passes(5);
    shift.setWall(EPOCH);
    await pushOutbox({ api, key });

    expect(pushed.map(readingTime)).toEqual(tappedAt);
    expect(pushed.map((op) => op.device_time)).toEqual([
      new Date(EPOCH).toISOString(),
      new Date(tappedAt[1]! + 180 * MINUTE).toISOString(),
      new Date(tappedAt[2]!).toISOString(),
    ]);
    expect(new Set(pushed.map((op) => op.clock!.server_time))).toEqual(new Set([new Date(SERVER_START).toISOString()]));
    // Shown on the tablet until the pull brings the server's times: not 1970 (a clock set ahead
    // cannot be told from a tablet that slept, so the on-scene tap shows its wall clock's time).
    const shown = new Map((await statusEventsFor('c1')).map((e) => [e.clear.status, Date.parse(String(e.clear.at))]));
    expect([shown.get('en_route'), shown.get('transporting')]).toEqual([tappedAt[0], tappedAt[2]]);
  });

  it('a push answer teaches the next reading; its device_time is the wall clock as the answer arrived', async () => {
    const { api, pushed } = server();
    await pullAll({ api, key });
    await addNote(key, 'c1', 'first');
    shift.passes(3);
    shift.setWall(shift.real + 2 * MINUTE); // the tablet runs two minutes ahead from here
    await pushOutbox({ api, key });
    const learnedAt = shift.real;
    shift.passes(4);
    await addNote(key, 'c1', 'second');
    await pushOutbox({ api, key });

    expect(pushed[1]!.clock).toEqual({
      server_time: new Date(learnedAt).toISOString(),
      device_time: new Date(learnedAt + 2 * MINUTE).toISOString(),
      elapsed_ms: 4 * MINUTE,
    });
  });

  it('after a reload nothing is learned: ops carry no reading until the next answer', async () => {
    const { api, pushed } = server();
    await pullAll({ api, key });
    forgetServerTime(); // the app was reloaded offline
    shift.setWall(EPOCH);
    await recordStatus(key, 'c1', 'on_scene');
    await pushOutbox({ api, key });
    await recordStatus(key, 'c1', 'cleared');
    await pushOutbox({ api, key });

    expect('clock' in pushed[0]!).toBe(false);
    expect(pushed[1]!.clock?.server_time).toBe(new Date(shift.real).toISOString());
    expect(await db().outbox.count()).toBe(0);
  });

  it('a tablet that slept shows the time of its steady wall clock, not the stalled monotonic one', async () => {
    const { api } = server();
    await pullAll({ api, key });
    shift.passes(30, true);
    await recordStatus(key, 'c1', 'on_scene');
    const [event] = await statusEventsFor('c1');
    expect(Date.parse(String(event!.clear.at))).toBe(shift.real);
  });
});
