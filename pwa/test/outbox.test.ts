import { beforeEach, describe, expect, it } from 'vitest';
import { addNote, recordLocation, recordStatus, updateCall, db, applyChanges, getCall } from '../src/db';
import { freshDb, newDataKey, unlockWith } from './helpers';

let key: CryptoKey;
beforeEach(async () => {
  freshDb();
  key = await newDataKey();
  await db().meta.put({ key: 'device_id', value: 'dev1' });
  await unlockWith(key);
});

describe('capture writes the record and its outbox op together', () => {
  it('numbers ops 1, 2, 3 with no gaps, UUIDv7 ids and rising HLCs', async () => {
    const a = await recordStatus(key, 7, 'en_route');
    const b = await addNote(key, 7, 'first note');
    const c = await recordLocation(35.99, -78.9, 12);
    expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3]);
    expect(a.hlc < b.hlc && b.hlc < c.hlc).toBe(true);
    expect(a.hlc.endsWith('-dev1')).toBe(true);
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    const rows = await db().outbox.orderBy('seq').toArray();
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(await db().statusEvents.count()).toBe(1);
    expect(await db().notes.count()).toBe(1);
    expect(await db().locationPoints.count()).toBe(1);
    expect((await db().meta.get('last_seq'))?.value).toBe(3);
  });

  it('concurrent captures still get distinct consecutive seqs', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => recordStatus(key, i, 'on_scene')));
    const seqs = (await db().outbox.orderBy('seq').toArray()).map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('writes neither the record nor the op when the record write fails', async () => {
    // updateCall on a call that does not exist: Dexie update is a no-op, so force a failure instead
    const d = db();
    const orig = d.notes.put.bind(d.notes);
    d.notes.put = (() => Promise.reject(new Error('disk full'))) as unknown as typeof d.notes.put;
    await expect(addNote(key, 7, 'lost?')).rejects.toThrow('disk full');
    d.notes.put = orig;
    expect(await d.outbox.count()).toBe(0);
    expect(await d.notes.count()).toBe(0);
    expect((await d.meta.get('last_seq'))?.value).toBeUndefined();
    const next = await addNote(key, 7, 'kept');
    expect(next.seq).toBe(1);
  });

  it('a call update carries the version last seen and keeps an overlay until acknowledged', async () => {
    await applyChanges(
      key,
      [{ kind: 'call', id: '5', op: 'put', version: 3, data: { id: 5, priority: 1, received_at: '2026-11-25T01:00:00Z', narrative: 'n' } }],
      { cursor: 'c1', serverTime: '2026-11-25T01:00:00Z' },
    );
    const call = (await getCall('5'))!;
    const op = await updateCall(key, call, { disposition: 'stabilized on scene' });
    expect(op.base_version).toBe(3);
    expect(op.kind).toBe('call');
    expect(op.action).toBe('update');
    expect(op.record_id).toBe('5');
    expect((await db().calls.get('5'))!.localSealed).toMatch(/^enc1:/);
    // a later pull of the same call keeps the overlay
    await applyChanges(
      key,
      [{ kind: 'call', id: '5', op: 'put', version: 4, data: { id: 5, priority: 1, received_at: '2026-11-25T01:00:00Z' } }],
      { cursor: 'c2', serverTime: '2026-11-25T01:01:00Z' },
    );
    expect((await db().calls.get('5'))!.localSealed).toMatch(/^enc1:/);
  });
});
