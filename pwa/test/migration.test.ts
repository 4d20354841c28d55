import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { AppDB, SCHEMA_V1, SCHEMA_V2, SCHEMA_V4, SCHEMA_V5, setDb, recordStatus, db, nextBatch, listCalls } from '../src/db';
import { newDataKey, seal } from '../src/crypto/keys';
import { unlockWith } from './helpers';

describe('local database upgrades', () => {
  it('opening version 1 with queued ops and upgrading keeps every op', async () => {
    const name = `migrate-${Math.random().toString(36).slice(2)}`;
    const v1 = new Dexie(name);
    v1.version(1).stores(SCHEMA_V1);
    await v1.open();
    const ops = [1, 2, 3].map((seq) => ({
      seq,
      op: { id: `op-${seq}`, seq, hlc: `1732503600000-000${seq}-dev1`, kind: 'call_status', action: 'create', record_id: `r-${seq}`, base_version: null, device_time: '2026-11-25T01:00:00Z', data: { call_id: 1, status: 'en_route' } },
      sealed: null,
      state: 'queued',
      createdAt: '2026-11-25T01:00:00Z',
    }));
    await v1.table('outbox').bulkAdd(ops);
    await v1.table('meta').bulkPut([
      { key: 'last_seq', value: 3 },
      { key: 'device_id', value: 'dev1' },
    ]);
    v1.close();

    const current = new AppDB(name);
    setDb(current);
    await current.open();
    expect(current.verno).toBe(6);
    const key = await newDataKey();
    const rows = await nextBatch(key, 10);
    expect(rows.map((r) => r.op.id)).toEqual(['op-1', 'op-2', 'op-3']);
    expect(rows.map((r) => r.recordId)).toEqual(['r-1', 'r-2', 'r-3']);
    expect(await current.outbox.where('recordId').equals('r-2').count()).toBe(1);
    // and the next capture continues the sequence
    await unlockWith(key);
    const next = await recordStatus(key, 1, 'on_scene');
    expect(next.seq).toBe(4);
    expect(await db().outbox.count()).toBe(4);
  });

  it('rows an earlier version wrote in clear are resealed at the next unlock, and still read and sort the same', async () => {
    const name = `migrate-${Math.random().toString(36).slice(2)}`;
    const key = await newDataKey();
    const v2 = new Dexie(name);
    v2.version(1).stores(SCHEMA_V1);
    v2.version(2).stores(SCHEMA_V2);
    await v2.open();
    const call = (id: number, priority: number, receivedAt: string, narrative: string) => ({
      id: String(id),
      rawId: id,
      version: 1,
      priority,
      receivedAt,
      clear: { id, priority, received_at: receivedAt, call_type: 'Suicide threat', address: '12 LEGACY Rd' },
      sealed: null as string | null,
      narrative,
    });
    const rows = [call(1, 2, '2026-11-25T01:00:00Z', 'a'), call(2, 1, '2026-11-25T03:00:00Z', 'b'), call(3, 1, '2026-11-25T02:00:00Z', 'c')];
    await v2.table('calls').bulkPut(await Promise.all(rows.map(async ({ narrative, ...r }) => ({ ...r, sealed: await seal(key, { narrative }) }))));
    await v2.table('outbox').add({
      seq: 1,
      recordId: 'r-1',
      op: { id: 'op-1', seq: 1, hlc: 'h', kind: 'call_status', action: 'create', record_id: 'r-1', base_version: null, device_time: '2026-11-25T01:00:00Z', data: { call_id: 1, status: 'en_route' } },
      sealed: null,
      state: 'queued',
      createdAt: '2026-11-25T01:00:00Z',
    });
    await v2.table('meta').put({ key: 'last_receipt', value: '2026-11-25T04:00:00Z' });
    v2.close();

    const current = new AppDB(name);
    setDb(current);
    await current.open();
    expect(JSON.stringify(await current.calls.toArray())).toContain('LEGACY'); // locked: the upgrade could only mark them
    await unlockWith(key);
    const raw = JSON.stringify([await current.calls.toArray(), await current.outbox.toArray(), await current.meta.toArray()]);
    for (const leak of ['LEGACY', 'Suicide', '2026-11-25', 'en_route']) expect(raw).not.toContain(leak);
    expect(await current.meta.get('reseal')).toBeUndefined();
    const list = await listCalls();
    expect(list.map((c) => c.id)).toEqual(['3', '2', '1']);
    expect(list.map((c) => c.clear.narrative)).toEqual(['c', 'b', 'a']);
    expect((await nextBatch(key, 10)).map((r) => r.op.data)).toEqual([{ call_id: 1, status: 'en_route' }]);
  });

  it('opening version 4 with queued ops and records keeps them and adds the backup queues', async () => {
    const name = `migrate-${Math.random().toString(36).slice(2)}`;
    const v4 = new Dexie(name);
    v4.version(4).stores(SCHEMA_V4);
    await v4.open();
    await v4.table('outbox').add({
      seq: 1,
      recordId: 'n-1',
      op: { id: 'op-1', seq: 1, hlc: '1732503600000-0001-dev1', kind: 'note', action: 'create', record_id: 'n-1', base_version: null, device_time: '2026-11-25T01:00:00Z', data: {} },
      sealed: null,
      state: 'queued',
      createdAt: '2026-11-25T01:00:00Z',
    });
    await v4.table('surveys').put({ id: 's-1', callId: 'c-1' });
    v4.close();

    const current = new AppDB(name);
    await current.open();
    expect(current.verno).toBe(6);
    expect(await current.outbox.count()).toBe(1);
    expect(await current.table('surveys').get('s-1')).toMatchObject({ callId: 'c-1' });
    await current.backups.put({ id: 'b-1', callId: null, urgency: 'urgent', position: null, deviceTime: '2026-11-25T01:01:00Z', state: 'queued', server: null, lastError: null });
    await current.checkinAnswers.put({ id: 'k-1', callId: 'c-1', deviceTime: '2026-11-25T01:02:00Z', at: '2026-11-25T01:02:00Z', state: 'queued', lastError: null });
    expect(await current.backups.where('state').equals('queued').count()).toBe(1);
    expect(await current.checkinAnswers.where('state').equals('queued').count()).toBe(1);
    current.close();
  });

  it('opening version 5 with a queued backup request keeps it and adds the referral queue', async () => {
    const name = `migrate-${Math.random().toString(36).slice(2)}`;
    const v5 = new Dexie(name);
    v5.version(5).stores(SCHEMA_V5);
    await v5.open();
    await v5.table('backups').put({ id: 'b-1', callId: null, urgency: 'urgent', position: null, deviceTime: '2026-11-25T01:01:00Z', state: 'queued', server: null, lastError: null });
    v5.close();

    const current = new AppDB(name);
    await current.open();
    expect(current.verno).toBe(6);
    expect(await current.backups.where('state').equals('queued').count()).toBe(1);
    await current.careReferrals.put({ id: 'r-1', callId: 'c-1', sealed: 'x', deviceTime: '2026-11-25T01:03:00Z', userId: 7, state: 'queued', lastError: null });
    expect(await current.careReferrals.where('callId').equals('c-1').count()).toBe(1);
    current.close();
  });
});
