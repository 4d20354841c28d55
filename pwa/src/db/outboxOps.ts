/** Reading the outbox for a push and recording the server's answer. */
import type { Op, PushResult } from '../api/types';
import { sealFields } from '../crypto/keys';
import { db } from './db';
import { KINDS } from './kinds';
import type { OutboxRow } from './Outbox';
import type { CallRow } from './Call';
import type { SyncedRow } from './rows';

/** Local tables of facts made on the device: a rejected one leaves the records (sync/client.py rule). */
const FACT_TABLES = { call_status: 'statusEvents', call_note: 'notes', location_point: 'locationPoints' } as const;

/** Document state after an op (`record` in its result), sealed for storage before the transaction. */
export type ResultRecords = Map<string, SyncedRow & Record<string, unknown>>;

export async function prepareResultRecords(key: CryptoKey, batch: OutboxRow[], results: PushResult[]): Promise<ResultRecords> {
  const out: ResultRecords = new Map();
  const kindOf = new Map(batch.map((r) => [r.op.id, r.op.kind]));
  for (const r of results) {
    if (r.id === null) continue; // an op without a readable id: nothing in the batch to match
    const kind = kindOf.get(r.id);
    const spec = kind ? KINDS[kind] : undefined;
    if (!spec || !r.record || r.outcome === 'rejected' || r.outcome === 'deferred') continue;
    const id = String(r.record.id ?? r.record_id);
    const { clear, sealed } = await sealFields(key, r.record, spec.clinical);
    out.set(r.id, { id, rawId: (r.record.id as string) ?? id, version: r.version ?? (r.record.version as number) ?? null, clear, sealed, ...(spec.index?.(r.record) ?? {}) });
  }
  return out;
}

export async function unsentCount(): Promise<number> {
  return db().outbox.count();
}

/** The next ops to push, in seq order. */
export async function nextBatch(limit: number): Promise<OutboxRow[]> {
  return db().outbox.orderBy('seq').limit(limit).toArray();
}

export interface AckSummary {
  acknowledged: number;
  rejected: number;
  deferred: number;
}

/**
 * Applies one push answer: acknowledged ops leave the outbox; rejected ops move to `rejected`
 * (never blocking the ones behind); deferred ops, and ops without a result, stay to be resent.
 */
export async function recordPushResults(batch: OutboxRow[], results: PushResult[], records: ResultRecords = new Map()): Promise<AckSummary> {
  const d = db();
  const byId = new Map(results.map((r) => [r.id, r]));
  const summary: AckSummary = { acknowledged: 0, rejected: 0, deferred: 0 };
  await d.transaction('rw', [d.outbox, d.rejected, d.calls, d.statusEvents, d.notes, d.locationPoints], async () => {
    const touchedCalls = new Set<string>();
    for (const row of batch) {
      const r = byId.get(row.op.id);
      if (!r || r.outcome === 'deferred') {
        summary.deferred++;
        continue;
      }
      if (r.outcome === 'rejected' && !r.replayed) {
        await d.rejected.put({
          id: row.op.id,
          seq: row.seq,
          kind: row.op.kind,
          recordId: row.recordId,
          errors: r.errors ?? null,
          message: r.message ?? null,
          rejectedAt: new Date().toISOString(),
          data: row.op.data,
          sealed: row.sealed,
        });
        summary.rejected++;
        const factTable = FACT_TABLES[row.op.kind as keyof typeof FACT_TABLES];
        if (factTable) {
          const local = await d.table(factTable).get(row.recordId);
          if (local?.local) await d.table(factTable).delete(row.recordId);
        }
      } else {
        summary.acknowledged++;
        const rec = records.get(row.op.id);
        if (rec && row.op.kind === 'call') {
          // The server's state after the edit: a newer base_version for the next edit, before any pull.
          const existing = await d.calls.get(rec.id);
          await d.calls.put({ ...(rec as unknown as CallRow), localSealed: existing?.localSealed ?? null });
        }
      }
      await d.outbox.delete(row.localId!);
      if (row.op.kind === 'call') touchedCalls.add(row.recordId);
    }
    // A call's local overlay goes once no edit of it is waiting; the next pull brings the server's value.
    for (const id of touchedCalls) {
      if ((await d.outbox.where('recordId').equals(id).count()) === 0) await d.calls.update(id, { localSealed: null });
    }
  });
  return summary;
}

/** Rebuilds the wire op from an outbox row (clinical fields opened by the caller). */
export function wireOp(row: OutboxRow, opened: Record<string, unknown>): Op {
  return { ...row.op, data: { ...row.op.data, ...opened } };
}
