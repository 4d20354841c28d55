import { beforeEach, describe, expect, it } from 'vitest';
import { statusFactOf } from '../src/app/callView';
import { STATUS_UNDO_MINUTES, callStatus, offeredTaps, outOfOrder, standing, undoableTap, type StatusFact } from '../src/lib/lifecycle';
import { CALL_STATUSES } from '../src/api/types';
import { nextBatch, recordStatus, setMeta, statusEventsFor, withdrawStatus } from '../src/db';
import { freshDb, newDataKey, unlockWith } from './helpers';

const T0 = Date.parse('2026-12-01T12:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const fact = (id: string, status: string, minutes: number, author: number | null = 1, withdraws: string | null = null): StatusFact => ({
  id,
  status,
  at: at(minutes),
  author,
  withdraws,
});

describe('status from facts', () => {
  it('a withdrawn cleared opens the call again, whatever the server said before', () => {
    const facts = [fact('a', 'on_scene', 0), fact('b', 'cleared', 1), fact('c', 'cleared', 2, 1, 'b')];
    expect(standing(facts).map((f) => f.id)).toEqual(['a']);
    expect(callStatus('cleared', facts)).toBe('on_scene');
  });

  it('with every tap withdrawn the status is what dispatch set', () => {
    expect(callStatus('cleared', [fact('b', 'cleared', 1), fact('c', 'cleared', 2, 1, 'b')])).toBe('dispatched');
    expect(callStatus('received', [])).toBe('received');
  });

  it('en route tapped after cleared is out of order; one made before a later state is not', () => {
    const facts = [fact('e1', 'en_route', 0), fact('s', 'on_scene', 1), fact('c', 'cleared', 2), fact('e2', 'en_route', 3)];
    expect([...outOfOrder(facts)]).toEqual([['e2', 'cleared']]);
    expect(callStatus('dispatched', facts)).toBe('cleared');
  });

  it('offers only the taps after the current state', () => {
    expect(offeredTaps(CALL_STATUSES, 'on_scene')).toEqual(['transporting', 'cleared']);
    expect(offeredTaps(CALL_STATUSES, 'dispatched')).toEqual(CALL_STATUSES);
    expect(offeredTaps(CALL_STATUSES, 'cleared')).toEqual([]);
  });
});

describe('undo', () => {
  const facts = [fact('a', 'en_route', 0, 1), fact('b', 'on_scene', 1, 2)];

  it('offers the last own standing tap within the window only', () => {
    expect(undoableTap(facts, 1, T0 + 60_000)?.id).toBe('a');
    expect(undoableTap(facts, 2, T0 + 2 * 60_000)?.id).toBe('b');
    expect(undoableTap(facts, 1, T0 + (STATUS_UNDO_MINUTES * 60 + 1) * 1000)).toBeNull();
    expect(undoableTap(facts, 3, T0)).toBeNull();
    expect(undoableTap(facts, null, T0)).toBeNull();
  });

  it('an undone tap is not offered again; the tap before it is', () => {
    const undone = [...facts, fact('c', 'on_scene', 2, 2, 'b'), fact('d', 'en_route', 0.5, 2)];
    expect(undoableTap(undone, 2, T0 + 3 * 60_000)?.id).toBe('d');
  });
});

describe('withdrawStatus', () => {
  let key: CryptoKey;
  beforeEach(async () => {
    freshDb();
    await setMeta('device_id', 'dev1');
    key = await newDataKey();
    await unlockWith(key);
  });

  it('queues a correcting fact naming the tap, and the tablet stops counting the tap at once', async () => {
    const tap = await recordStatus(key, 'call-1', 'cleared');
    const undo = await withdrawStatus(key, 'call-1', { id: tap.record_id, status: 'cleared' });
    expect(undo.kind).toBe('call_status');
    expect(undo.data).toEqual({ call_id: 'call-1', status: 'cleared', withdraws: tap.record_id });
    expect((await nextBatch(key, 10)).map((r) => r.op.id)).toEqual([tap.id, undo.id]);
    const rows = await statusEventsFor('call-1');
    expect(rows).toHaveLength(2);
    expect(callStatus('dispatched', rows.map(statusFactOf))).toBe('dispatched');
  });
});
