import { describe, expect, it } from 'vitest';
import { addNote, applyChanges, getCall, updateCall } from '../src/db';
import { freshDb, newDataKey, unlockWith } from './helpers';

/** Reads every object store of the raw IndexedDB database, as a finder of the tablet could. */
async function dumpRawIndexedDb(name: string): Promise<string> {
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
  return JSON.stringify(all);
}

describe('clinical text at rest', () => {
  it('no narrative, note, disposition, destination or history is stored in clear', async () => {
    const d = freshDb();
    const key = await newDataKey();
    await unlockWith(key);
    await applyChanges(
      key,
      [
        {
          kind: 'call',
          id: '9',
          op: 'put',
          version: 1,
          data: { id: 9, priority: 1, received_at: '2026-11-25T01:00:00Z', narrative: 'NARRATIVE-SECRET voices', address: '1 Main St' },
        },
        { kind: 'premise', id: 'p1', op: 'put', version: 1, data: { id: 'p1', hazards: ['dog'], history: [{ summary: 'HISTORY-SECRET' }] } },
        { kind: 'call_note', id: 'n1', op: 'put', version: 1, data: { id: 'n1', call_id: 9, body: 'SERVERNOTE-SECRET' } },
        { kind: 'conflict', id: 'k1', op: 'put', version: 1, data: { id: 'k1', device_value: 'CONFLICT-SECRET', server_value: 'CONFLICT2-SECRET' } },
      ],
      { cursor: 'c', serverTime: '2026-11-25T01:00:00Z' },
    );
    await addNote(key, 9, 'NOTE-SECRET suicidal ideation');
    await updateCall(key, (await getCall('9'))!, { disposition: 'DISPO-SECRET', transport_destination: 'DEST-SECRET hospital' });
    d.close();
    const raw = await dumpRawIndexedDb(d.name);
    for (const secret of ['NARRATIVE-SECRET', 'HISTORY-SECRET', 'SERVERNOTE-SECRET', 'CONFLICT', 'NOTE-SECRET', 'DISPO-SECRET', 'DEST-SECRET']) {
      expect(raw).not.toContain(secret);
    }
    for (const place of ['1 Main St', 'dog']) expect(raw).not.toContain(place);
    expect(raw).toContain('enc1:');
  });
});
