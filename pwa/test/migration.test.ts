import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { AppDB, SCHEMA_V1, setDb, recordStatus, db } from '../src/db';
import { newDataKey } from '../src/crypto/keys';

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

    const v2 = new AppDB(name);
    setDb(v2);
    await v2.open();
    expect(v2.verno).toBe(2);
    const rows = await v2.outbox.orderBy('seq').toArray();
    expect(rows.map((r) => r.op.id)).toEqual(['op-1', 'op-2', 'op-3']);
    expect(rows.map((r) => r.recordId)).toEqual(['r-1', 'r-2', 'r-3']);
    expect(await v2.outbox.where('recordId').equals('r-2').count()).toBe(1);
    // and the next capture continues the sequence
    const next = await recordStatus(await newDataKey(), 1, 'on_scene');
    expect(next.seq).toBe(4);
    expect(await db().outbox.count()).toBe(4);
  });
});
