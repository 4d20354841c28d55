/**
 * Read functions for screens (each a Dexie query; components wrap them in useLiveQuery). Rows come
 * back opened with the unlocked session's key (db/vault.ts); locked, there is nothing to read.
 */
import { getSession } from '../crypto/session';
import { milestone } from '../lib/milestones';
import type { RecordTable } from './AppDB';
import type { CallRow } from './Call';
import { db } from './db';
import type { NoteRow } from './Note';
import type { RejectedRow } from './Rejected';
import type { StoredRow, SyncedRow } from './rows';
import type { StatusEventRow } from './StatusEvent';
import { getSealedMeta, openRecord, openRecords, openRejectedRow, readable } from './vault';

const sessionKey = () => getSession()?.dataKey ?? null;

function opened<R extends SyncedRow>(table: RecordTable, rows: Promise<StoredRow[]>): Promise<R[]> {
  const key = sessionKey();
  return key ? rows.then((r) => openRecords<R>(key, table, r)) : Promise.resolve([]);
}

function openedOne<R extends SyncedRow>(table: RecordTable, row: Promise<StoredRow | undefined>): Promise<R | undefined> {
  const key = sessionKey();
  return key ? row.then((r) => (r ? openRecord<R>(key, table, r) : undefined)) : Promise.resolve(undefined);
}

/** Priority first (1 is the highest), then received time: sorted once opened, as no clear sort key is stored. */
const byPriorityThenReceived = (a: CallRow, b: CallRow) => a.priority - b.priority || a.receivedAt.localeCompare(b.receivedAt) || a.id.localeCompare(b.id);

export const listCalls = () =>
  opened<CallRow>(
    'calls',
    db()
      .calls.toArray()
      .then((rows) => (milestone('calls:read'), rows)),
  ).then((rows) => {
    milestone('calls:opened');
    rows.sort(byPriorityThenReceived);
    milestone('calls:sorted');
    return rows;
  });
export const getCall = (id: string) => openedOne<CallRow>('calls', db().calls.get(id));
export const getPremise = (id: string) => openedOne('premises', db().premises.get(id));
export const listPremises = () => opened('premises', db().premises.toArray());
export const statusEventsFor = (callId: string) => opened<StatusEventRow>('statusEvents', db().statusEvents.where('callId').equals(callId).toArray());
export const allStatusEvents = () => opened<StatusEventRow>('statusEvents', db().statusEvents.toArray());
export const notesFor = (callId: string) => opened<NoteRow>('notes', db().notes.where('callId').equals(callId).toArray());
export const listConflicts = () => opened('conflicts', db().conflicts.toArray());

/** Conflicts in these states are history, not work. */
const SETTLED = ['resolved', 'closed'];
const isOpenConflict = (c: SyncedRow) => !c.clear.resolved_at && !SETTLED.includes(String(c.clear.status));
/** Conflicts still waiting for a person. */
export const openConflicts = () => listConflicts().then((rows) => rows.filter(isOpenConflict));
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
export async function listRejected(): Promise<RejectedRow[]> {
  const key = sessionKey();
  if (!key) return [];
  return readable(await Promise.allSettled((await db().rejected.orderBy('seq').toArray()).map((r) => openRejectedRow(key, r))));
}
export const outboxCount = () => db().outbox.count();
export const lastReceipt = async (): Promise<string | undefined> => {
  const key = sessionKey();
  return key ? getSealedMeta<string>(key, 'last_receipt') : undefined;
};
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
