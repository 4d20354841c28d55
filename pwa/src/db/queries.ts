/** Read functions for screens (each a Dexie query; components wrap them in useLiveQuery). */
import { db } from './db';
import { getMeta } from './metaStore';
import type { SyncedRow } from './rows';

export const listCalls = () => db().calls.orderBy('[priority+receivedAt]').toArray();
export const getCall = (id: string) => db().calls.get(id);
export const getPremise = (id: string) => db().premises.get(id);
export const listPremises = () => db().premises.toArray();
export const statusEventsFor = (callId: string) => db().statusEvents.where('callId').equals(callId).toArray();
export const allStatusEvents = () => db().statusEvents.toArray();
export const notesFor = (callId: string) => db().notes.where('callId').equals(callId).toArray();
export const listConflicts = () => db().conflicts.toArray();

/** Conflicts in these states are history, not work. */
const SETTLED = ['resolved', 'closed'];
const isOpenConflict = (c: SyncedRow) => !c.clear.resolved_at && !SETTLED.includes(String(c.clear.status));
/** Conflicts still waiting for a person. */
export const openConflicts = () => db().conflicts.filter(isOpenConflict).toArray();
/** Call id -> fields with an open conflict (the call list and the call screen flag them). */
export async function conflictFieldsByCall(): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const c of await openConflicts()) {
    const callId = String(c.clear.call_id ?? c.clear.record_id ?? '');
    if (!out.has(callId)) out.set(callId, new Set());
    out.get(callId)!.add(String(c.clear.field ?? ''));
  }
  return out;
}
/** What waits in Review: open conflicts and rejected entries. */
export async function reviewCount(): Promise<number> {
  const [conflicts, rejected] = await Promise.all([openConflicts(), db().rejected.count()]);
  return conflicts.length + rejected;
}
export const listRejected = () => db().rejected.orderBy('seq').toArray();
export const outboxCount = () => db().outbox.count();
export const lastReceipt = () => getMeta<string>('last_receipt');
export const pendingCallEdits = (callId: string) => db().outbox.where('recordId').equals(callId).count();

/** Rows per table, for the storage screen. */
export async function recordCounts(): Promise<Record<string, number>> {
  const d = db();
  const [calls, notes, outbox, locationPoints] = await Promise.all([d.calls.count(), d.notes.count(), d.outbox.count(), d.locationPoints.count()]);
  return { calls, notes, outbox, locationPoints };
}

/** Records that still have an op in the outbox (to mark "not sent yet"). */
export const unsentRecordIds = () => db().outbox.toArray().then((rows) => new Set(rows.map((r) => r.recordId)));

/** A conflict resolved on the server leaves the review list at once (the next pull confirms). */
export const dropConflict = (id: string) => db().conflicts.delete(id);
