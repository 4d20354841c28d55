import { beforeEach, describe, expect, it } from 'vitest';
import type { SessionUser } from '../src/api/types';
import { setSession } from '../src/crypto/session';
import { addNote, nextBatch, notesFor, recordLocation, recordStatus, setMeta, statusEventsFor, unlockStore } from '../src/db';
import { freshDb, newDataKey } from './helpers';

const clinician: SessionUser = { id: 7, username: 'clinician1', full_name: 'Ana Morales, LCSW', role: 'responder_clinician', unit_id: 1 };
const peer: SessionUser = { id: 9, username: 'peer1', full_name: 'Marcus Bell', role: 'responder_peer', unit_id: 1 };

let key: CryptoKey;
beforeEach(async () => {
  freshDb();
  key = await newDataKey();
  await setMeta('device_id', 'dev1');
  await unlockStore(key);
});

const outboxOps = async () => (await nextBatch(key, 100)).map((r) => r.op);

describe('who did it on a shared tablet', () => {
  it('each op names the person unlocked when it was made, whoever unlocks later', async () => {
    setSession({ user: clinician, dataKey: key });
    await addNote(key, 'c1', 'written by the clinician');
    setSession(null); // locked
    setSession({ user: peer, dataKey: key }); // the peer unlocks
    await recordStatus(key, 'c1', 'on_scene');

    const ops = await outboxOps();
    expect(ops.map((op) => [op.kind, op.author_id])).toEqual([
      ['call_note', clinician.id],
      ['call_status', peer.id],
    ]);
  });

  it('the local note and status event show their author before they are sent', async () => {
    setSession({ user: clinician, dataKey: key });
    await addNote(key, 'c1', 'calm now');
    setSession({ user: peer, dataKey: key });
    await recordStatus(key, 'c1', 'en_route');

    const [note] = await notesFor('c1');
    const [event] = await statusEventsFor('c1');
    expect([note!.clear.user_id, note!.clear.author_name]).toEqual([clinician.id, clinician.full_name]);
    expect([event!.clear.user_id, event!.clear.author_name]).toEqual([peer.id, peer.full_name]);
  });

  it('a position recorded while the tablet is locked names nobody (the pushing token decides)', async () => {
    setSession(null);
    await recordLocation(35.99, -78.9, 5);
    const [op] = await outboxOps();
    expect(op!.author_id).toBeUndefined();
  });
});
