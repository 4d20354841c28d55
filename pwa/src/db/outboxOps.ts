/** Reading the outbox for a push and recording the server's answer. */
import type { Op, PushResult } from '../api/types';
import { db } from './db';
import type { OutboxRow } from './Outbox';

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
export async function recordPushResults(batch: OutboxRow[], results: PushResult[]): Promise<AckSummary> {
  const d = db();
  const byId = new Map(results.map((r) => [r.id, r]));
  const summary: AckSummary = { acknowledged: 0, rejected: 0, deferred: 0 };
  await d.transaction('rw', [d.outbox, d.rejected, d.calls], async () => {
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
      } else {
        summary.acknowledged++;
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
