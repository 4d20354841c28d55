/** Reading the outbox for a push (opened) and recording the server's answer (sealed). */
import type { PushResult } from '../api/types';
import { FACT_KINDS, PUSHED_KINDS } from '../api/facts';
import { db } from './db';
import { KINDS } from './kinds';
import type { OutboxRow } from './Outbox';
import type { RecordTable } from './AppDB';
import type { StoredRejectedRow } from './Rejected';
import type { StoredRow } from './rows';
import { openOutboxRow, sealData, sealRejected } from './vault';

/** Local tables of facts made on the device: a rejected one leaves the records (sync/client.py rule). */
const FACT_TABLES: ReadonlyMap<string, RecordTable> = new Map(FACT_KINDS.map((k) => [k, KINDS[k].table]));
/** What recording a push answer writes: the outbox, rejected entries and the tables of pushed kinds. */
const PUSH_RESULT_TABLES = ['outbox', 'rejected', ...new Set(PUSHED_KINDS.map((k) => KINDS[k].table))];

/** What a push answer writes, sealed before the transaction: document states (`record`) and rejected entries, by op id. */
export interface ResultRecords {
  records: Map<string, StoredRow>;
  rejected: Map<string, StoredRejectedRow>;
}

export async function prepareResultRecords(key: CryptoKey, batch: OutboxRow[], results: PushResult[]): Promise<ResultRecords> {
  const out: ResultRecords = { records: new Map(), rejected: new Map() };
  const byId = new Map(batch.map((r) => [r.op.id, r]));
  const rejectedAt = new Date().toISOString();
  for (const r of results) {
    if (r.id === null) continue; // an op without a readable id: nothing in the batch to match
    const row = byId.get(r.id);
    if (!row) continue;
    if (r.outcome === 'rejected' && !r.replayed) {
      const detail = { kind: row.op.kind, errors: r.errors ?? null, message: r.message ?? null, rejectedAt, data: row.op.data };
      out.rejected.set(r.id, await sealRejected(key, { id: row.op.id, seq: row.seq, recordId: row.recordId, ...detail }));
      continue;
    }
    const spec = KINDS[row.op.kind];
    if (!spec || !r.record || r.outcome === 'rejected' || r.outcome === 'deferred') continue;
    const id = String(r.record.id ?? r.record_id);
    const { clear, sealed } = await sealData(key, r.record, spec.clear);
    out.records.set(r.id, { id, rawId: (r.record.id as string) ?? id, version: r.version ?? (r.record.version as number) ?? null, clear, sealed, ...(spec.index?.(r.record) ?? {}) });
  }
  return out;
}

export async function unsentCount(): Promise<number> {
  return db().outbox.count();
}

/** The next ops to push (after `afterSeq`, if given), in seq order, opened. */
export async function nextBatch(key: CryptoKey, limit: number, afterSeq?: number): Promise<OutboxRow[]> {
  const outbox = db().outbox;
  const rows = await (afterSeq === undefined ? outbox.orderBy('seq') : outbox.where('seq').above(afterSeq)).limit(limit).toArray();
  return Promise.all(rows.map((r) => openOutboxRow(key, r)));
}

export interface AckSummary {
  acknowledged: number;
  rejected: number;
  deferred: number;
}

/**
 * Applies one push answer: acknowledged ops leave the outbox; rejected ops move to `rejected`
 * (never blocking the ones behind); deferred ops, and ops without a result, stay to be resent.
 * An acknowledged fact made here stays as it is: the answer confirmed it (the pull does not send
 * it back), and with its op gone it counts as server-confirmed (`dropServerCopy`). One bulk write per table.
 */
export async function recordPushResults(batch: OutboxRow[], results: PushResult[], prepared: ResultRecords): Promise<AckSummary> {
  const d = db();
  const byId = new Map(results.map((r) => [r.id, r]));
  const summary: AckSummary = { acknowledged: 0, rejected: 0, deferred: 0 };
  await d.transaction('rw', PUSH_RESULT_TABLES, async () => {
    const touchedCalls = new Set<string>();
    const sent: number[] = [];
    const rejected: StoredRejectedRow[] = [];
    const refusedFacts = new Map<RecordTable, string[]>();
    for (const row of batch) {
      const r = byId.get(row.op.id);
      if (!r || r.outcome === 'deferred') {
        summary.deferred++;
        continue;
      }
      const factTable = FACT_TABLES.get(row.op.kind);
      const kept = prepared.rejected.get(row.op.id);
      if (r.outcome === 'rejected' && !r.replayed && kept) {
        rejected.push(kept);
        summary.rejected++;
        if (factTable) refusedFacts.set(factTable, [...(refusedFacts.get(factTable) ?? []), row.recordId]);
      } else {
        summary.acknowledged++;
        const rec = prepared.records.get(row.op.id);
        if (rec && row.op.kind === 'call') {
          // The server's state after the edit: a newer base_version for the next edit, before any pull.
          const existing = await d.calls.get(rec.id);
          await d.calls.put({ ...rec, localSealed: existing?.localSealed ?? null });
        }
      }
      sent.push(row.localId!);
      if (row.op.kind === 'call') touchedCalls.add(row.recordId);
    }
    if (rejected.length) await d.rejected.bulkPut(rejected);
    for (const [name, ids] of refusedFacts) {
      const table = d.table<StoredRow, string>(name);
      const gone = (await table.bulkGet(ids)).filter((r) => r?.local).map((r) => r!.id);
      if (gone.length) await table.bulkDelete(gone);
    }
    // A whole batch of consecutive rows goes as one key range: no per-key bookkeeping for live queries.
    const first = sent[0];
    const contiguous = first !== undefined && sent.every((id, i) => id === first + i);
    if (contiguous && sent.length > 1) await d.outbox.where('localId').between(first, first + sent.length - 1, true, true).delete();
    else await d.outbox.bulkDelete(sent);
    // A call's local overlay goes once no edit of it is waiting; the next pull brings the server's value.
    for (const id of touchedCalls) {
      if ((await d.outbox.where('recordId').equals(id).count()) === 0) await d.calls.update(id, { localSealed: null });
    }
  });
  return summary;
}
