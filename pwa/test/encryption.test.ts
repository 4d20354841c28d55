import { describe, expect, it } from 'vitest';
import { ApiClient } from '../src/api/client';
import type { Change, Op } from '../src/api/types';
import { setSession } from '../src/crypto/session';
import {
  addNote,
  allStatusEvents,
  applyChanges,
  getCall,
  listCalls,
  listConflicts,
  listRejected,
  nextBatch,
  notesFor,
  openRecords,
  recordLocation,
  recordStatus,
  updateCall,
} from '../src/db';
import { pushOutbox } from '../src/sync/engine';
import { fakeFetch, freshDb, newDataKey, staticTokens, testUser, unlockWith } from './helpers';

/** Every value of every object store of the raw IndexedDB database, as a finder of the tablet could read them. */
async function dumpRawIndexedDb(name: string): Promise<unknown[]> {
  const req = indexedDB.open(name);
  const idb: IDBDatabase = await new Promise((res, rej) => {
    req.onsuccess = () => res(req.result);
    req.onerror = () => rej(req.error);
  });
  const stores = Array.from(idb.objectStoreNames);
  const tx = idb.transaction(stores, 'readonly');
  const all = await Promise.all(
    stores.map(
      (s) =>
        new Promise<unknown[]>((res, rej) => {
          const r = tx.objectStore(s).getAll();
          r.onsuccess = () => res(r.result);
          r.onerror = () => rej(r.error);
        }),
    ),
  );
  idb.close();
  return all;
}

/** Every string and number stored anywhere (keys of objects included), searched one by one. */
function storedScalars(v: unknown, out: string[] = []): string[] {
  if (v === null || v === undefined) return out;
  if (Array.isArray(v)) v.forEach((x) => storedScalars(x, out));
  else if (typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      storedScalars(x, out);
    }
  } else out.push(String(v));
  return out;
}

/** An ISO date or time, as the server and the tablet write them. */
const ISO_DATE = /\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?/;

const SECRETS = [
  'Suicide threat',
  'Welfare check',
  '415 Oak Ave',
  '22 Elm Ct',
  'Apt 3B',
  'aggressive dog',
  'needles on porch',
  '35.9940',
  '-78.8986',
  '35.9871',
  '36.0005',
  '-78.9012',
  'Marcus Bell',
  'Ana Morales',
  'Dana Reyes',
  'voices telling him',
  'prior crisis calls',
  'lives alone',
  'stabilized on scene',
  'Duke Regional',
  'calmer after talking',
  'Narcan',
  'called back on the wrong number',
  'left before arrival',
];

const shiftPull: Change[] = [
  {
    kind: 'call',
    id: '41',
    op: 'put',
    version: 2,
    data: {
      id: 41,
      cad_number: 'C-2026-0041',
      priority: 1,
      received_at: '2026-11-25T02:14:00Z',
      call_type: 'Suicide threat',
      address: '415 Oak Ave, Apt 3B',
      lat: 35.99402,
      lon: -78.89861,
      hazards: ['aggressive dog'],
      premise_id: 'p7',
      crew: ['Marcus Bell', 'Dana Reyes'],
      narrative: 'Caller reports voices telling him to hurt himself',
    },
  },
  {
    kind: 'call',
    id: '42',
    op: 'put',
    version: 1,
    data: { id: 42, priority: 2, received_at: '2026-11-25T01:05:00Z', call_type: 'Welfare check', address: '22 Elm Ct', lat: 35.9871, lon: -78.9012 },
  },
  {
    kind: 'call',
    id: '43',
    op: 'put',
    version: 1,
    data: { id: 43, priority: 1, received_at: '2026-11-25T01:40:00Z', call_type: 'Welfare check', address: '22 Elm Ct', disposition: 'left before arrival' },
  },
  {
    kind: 'premise',
    id: 'p7',
    op: 'put',
    version: 1,
    data: { id: 'p7', address: '415 Oak Ave', lat: 35.99402, lon: -78.89861, hazards: ['needles on porch'], summary: '3 prior crisis calls', history: [{ at: '2026-10-01T09:00:00Z', summary: 'lives alone' }] },
  },
  { kind: 'call_status', id: 's1', op: 'put', version: 1, data: { id: 's1', call_id: 41, status: 'en_route', at: '2026-11-25T02:16:00Z', author_name: 'Dana Reyes' } },
  { kind: 'call_note', id: 'n1', op: 'put', version: 1, data: { id: 'n1', call_id: 41, body: 'Dispatcher: called back on the wrong number', at: '2026-11-25T02:15:00Z' } },
  { kind: 'location_point', id: 'l1', op: 'put', version: 1, data: { id: 'l1', lat: 36.0005, lon: -78.9012, at: '2026-11-25T02:00:00Z' } },
  { kind: 'supply_item', id: 'i1', op: 'put', version: 1, data: { id: 'i1', name: 'Narcan 4 mg', unit: 'kit' } },
  { kind: 'kit_stock', id: 'k1', op: 'put', version: 1, data: { id: 'k1', item_id: 'i1', on_hand: 3, location: '415 Oak Ave' } },
  {
    kind: 'conflict',
    id: 'x1',
    op: 'put',
    version: 1,
    data: { id: 'x1', call_id: 41, field: 'transport_destination', device_value: 'Duke Regional', server_value: 'Apt 3B', changed_by: 'Ana Morales', changed_at: '2026-11-25T02:30:00Z' },
  },
];

/** A server that refuses call notes and applies the rest. */
function refusingNotes() {
  return fakeFetch((r) => {
    const ops = (r.body as { ops: Op[] }).ops;
    const results = ops.map((op) =>
      op.kind === 'call_note'
        ? { id: op.id, seq: op.seq, outcome: 'rejected', record_id: op.record_id, errors: { json: { body: ['too late'] } } }
        : { id: op.id, seq: op.seq, outcome: 'applied', record_id: op.record_id },
    );
    return [200, { results, last_seq: ops.at(-1)!.seq, server_time: '2026-11-25T03:00:00Z', skew_ms: 0 }];
  });
}

describe('nothing about a person or a place is readable on a lost tablet', () => {
  it('after a full offline shift, no call type, address, coordinate, hazard, name or time is stored in clear anywhere', async () => {
    const d = freshDb();
    const key = await newDataKey();
    await unlockWith(key, { ...testUser, full_name: 'Ana Morales, LCSW' });
    await applyChanges(key, shiftPull, { cursor: 'c1', serverTime: '2026-11-25T02:20:00Z' });
    // the shift, offline: status taps, a note, a disposition, positions unlocked and locked
    await recordStatus(key, 41, 'on_scene');
    await addNote(key, 41, 'Patient calmer after talking, lives alone');
    await updateCall(key, (await getCall('41'))!, { disposition: 'stabilized on scene', transport_destination: 'Duke Regional' });
    await recordLocation(35.99402, -78.89861, 8);
    setSession(null); // the idle lock: positions go on being recorded
    await recordLocation(35.9871, -78.9012, 12);
    await recordStatus(null, 42, 'en_route');
    // back in coverage for one push: the note is refused and moves to Rejected entries
    await unlockWith(key, { ...testUser, full_name: 'Ana Morales, LCSW' });
    const { fetch } = refusingNotes();
    await pushOutbox({ api: new ApiClient(fetch, staticTokens), key, pushBatch: 2 });
    setSession(null);
    await recordLocation(36.0005, -78.9012, 5); // locked again, left in the box
    d.close();

    const scalars = storedScalars(await dumpRawIndexedDb(d.name));
    for (const secret of SECRETS) expect(scalars.filter((s) => s.includes(secret)), secret).toEqual([]);
    expect(scalars.filter((s) => ISO_DATE.test(s))).toEqual([]);
    expect(scalars.some((s) => s.startsWith('enc1:'))).toBe(true);
    expect(scalars.some((s) => s.startsWith('box1:'))).toBe(true);

    // and every screen still reads it, in the right order, once unlocked
    await d.open();
    await unlockWith(key);
    expect((await listCalls()).map((c) => c.id)).toEqual(['43', '41', '42']);
    const call = (await getCall('41'))!;
    expect([call.clear.call_type, call.clear.address, call.clear.lat, call.receivedAt]).toEqual(['Suicide threat', '415 Oak Ave, Apt 3B', 35.99402, '2026-11-25T02:14:00Z']);
    expect((await allStatusEvents()).map((e) => e.clear.status).sort()).toEqual(['en_route', 'en_route', 'on_scene']);
    expect((await notesFor('41')).map((n) => n.clear.body)).toEqual(['Dispatcher: called back on the wrong number']);
    expect((await listConflicts())[0]!.clear.device_value).toBe('Duke Regional');
    const [rejected] = await listRejected();
    expect([rejected!.kind, rejected!.data.body, rejected!.errors]).toEqual(['call_note', 'Patient calmer after talking, lives alone', { json: { body: ['too late'] } }]);
    const points = await openRecords(key, 'locationPoints', await d.locationPoints.toArray());
    expect(points.map((p) => p.clear.lat).sort()).toEqual([35.9871, 35.99402, 36.0005, 36.0005]);
    expect((await nextBatch(key, 10)).map((r) => r.op.data)).toEqual([{ lat: 36.0005, lon: -78.9012, accuracy_m: 5 }]);
  });

  it('what was boxed while locked is resealed under the data key at the next unlock', async () => {
    const d = freshDb();
    const key = await newDataKey();
    await unlockWith(key);
    setSession(null);
    await recordLocation(35.9871, -78.9012, 12);
    const boxed = () => d.locationPoints.toArray().then((rows) => rows.filter((r) => r.sealed?.startsWith('box1:')).length);
    expect(await boxed()).toBe(1);
    await unlockWith(key);
    expect(await boxed()).toBe(0);
    expect((await d.outbox.toArray()).every((r) => r.sealed.startsWith('enc1:'))).toBe(true);
    expect((await nextBatch(key, 10)).map((r) => r.op.data)).toEqual([{ lat: 35.9871, lon: -78.9012, accuracy_m: 12 }]);
  });

  it('a tablet that never made its box refuses a locked capture rather than write it in clear', async () => {
    const d = freshDb();
    setSession(null);
    await expect(recordLocation(35.9871, -78.9012, 12)).rejects.toThrow('locked');
    expect(await d.locationPoints.count()).toBe(0);
    expect(await d.outbox.count()).toBe(0);
  });

  it('a fact sealed under a data key the tablet no longer has is left out, and the unlock still works', async () => {
    const d = freshDb();
    const oldKey = await newDataKey();
    await unlockWith(oldKey);
    await recordStatus(oldKey, 41, 'on_scene');
    await d.outbox.clear(); // acknowledged, its local row not yet replaced by a pull
    const key = await newDataKey(); // everyone signed out, a new crew member signed in
    await d.meta.put({ key: 'reseal', value: 1 });
    await unlockWith(key);
    expect(await allStatusEvents()).toEqual([]);
    await recordStatus(key, 41, 'cleared');
    expect((await allStatusEvents()).map((e) => e.clear.status)).toEqual(['cleared']);
  });
});
