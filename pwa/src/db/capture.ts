/**
 * Capture: every local change is one function that, inside ONE rw transaction, writes the record
 * and appends its outbox op (next seq, UUIDv7 id, HLC, the unlocked person as its author, the
 * clock reading when there is one).
 * Record and op are sealed whole (db/vault.ts: under the data key, or into the write-only box while
 * locked) before the transaction opens, since IndexedDB transactions cannot wait on other async
 * work. So the op is built from the seq and HLC read just before; captures run one at a time, and
 * the transaction checks that the seq is still the last one (else the capture is built again).
 * A fact's local time is the best the tablet knows (`estimatedNow`): the server's, from the clock
 * reading. The pull brings the server's own only when it is news (uncertain, or corrected from
 * the tablet's clock): the push answer acknowledges the rest.
 * Capture never needs the network or a valid token.
 */
import { CALL_EDITABLE, maxLength, numberRange, type CallEditableField, type FieldOf } from '../api/facts';
import { CALL_STATUSES, type CallStatus, type Op, type OpKind, type ServerId } from '../api/types';
import { open, seal } from '../crypto/keys';
import { getSession } from '../crypto/session';
import { clockReading, estimatedNow, wallNow } from '../lib/deviceClock';
import { formatHlc, hlcSend, parseHlc } from '../lib/hlc';
import { uuidv7 } from '../lib/uuidv7';
import { db } from './db';
import type { CallRow } from './Call';
import { KINDS } from './kinds';
import type { StoredRow } from './rows';
import { markForReseal, sealData, sealValue, type SealKey } from './vault';
/** A capture the server would reject: refused at once, nothing queued (field -> messages). */
export class CaptureError extends Error {
  override name = 'CaptureError';
  constructor(public errors: Record<string, string[]>) {
    super(Object.keys(errors).join(', '));
  }
}

/** Longest note the server accepts (the call_note kind's body). */
export const NOTE_MAX_CHARS = maxLength('call_note', 'body') ?? Infinity;
const STATUSES: readonly string[] = CALL_STATUSES;

/** The person unlocked now: every op names them (author_id) and the local record shows their name. */
export function author(): { user_id: number; author_name: string } | null {
  const user = getSession()?.user;
  return user ? { user_id: user.id, author_name: user.full_name || user.username } : null;
}

export function check(errors: Record<string, string[]>): void {
  if (Object.keys(errors).length) throw new CaptureError(errors);
}

export interface Draft {
  kind: OpKind;
  action: 'create' | 'update';
  recordId: string;
  baseVersion: number | null;
  data: Record<string, unknown>;
}

/** A capture whose seq another capture took meanwhile (another tab): built again, this many times at most. */
const CAPTURE_TRIES = 3;

class SeqTaken extends Error {}

/** Captures in this page, one after the other (each reads the seq the previous one wrote). */
let queue: Promise<unknown> = Promise.resolve();

function serial<T>(run: () => Promise<T>): Promise<T> {
  const next = queue.then(run, run);
  queue = next.catch(() => undefined);
  return next;
}

/**
 * Builds and seals the op, then appends it with the next seq and HLC and runs `write` (the record,
 * sealed by the caller) in one transaction. With `key` null (locked) the op goes into the write-only box.
 */
export function capture(key: SealKey, draft: Draft, table: string, write: () => Promise<unknown>): Promise<Op> {
  return serial(async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await captureOnce(key, draft, table, write);
      } catch (e) {
        if (!(e instanceof SeqTaken) || attempt >= CAPTURE_TRIES) throw e;
      }
    }
  });
}

async function captureOnce(key: SealKey, draft: Draft, table: string, write: () => Promise<unknown>): Promise<Op> {
  const d = db();
  const now = wallNow();
  const reading = clockReading();
  const by = author();
  const [lastSeqRow, prevHlcRow, nodeRow] = await Promise.all([d.meta.get('last_seq'), d.meta.get('hlc'), d.meta.get('device_id')]);
  const lastSeq = (lastSeqRow?.value as number | undefined) ?? 0;
  const prevHlc = prevHlcRow?.value as string | undefined;
  const hlc = hlcSend(prevHlc ? parseHlc(prevHlc) : null, now, String(nodeRow?.value ?? 'local'));
  const seq = lastSeq + 1;
  const op: Op = {
    id: uuidv7(now),
    seq,
    hlc: formatHlc(hlc),
    kind: draft.kind,
    action: draft.action,
    record_id: draft.recordId,
    base_version: draft.baseVersion,
    device_time: new Date(now).toISOString(),
    ...(by ? { author_id: by.user_id } : {}),
    ...(reading ? { clock: reading } : {}),
    data: draft.data,
  };
  const sealedOp = await sealValue(key, op);
  await d.transaction('rw', [d.outbox, d.meta, d.table(table)], async () => {
    if ((((await d.meta.get('last_seq'))?.value as number | undefined) ?? 0) !== lastSeq) throw new SeqTaken();
    await d.meta.bulkPut([
      { key: 'last_seq', value: seq },
      { key: 'hlc', value: op.hlc },
    ]);
    await d.outbox.add({ seq, recordId: draft.recordId, sealed: sealedOp, state: 'queued' });
    await write();
    if (!key) await markForReseal();
  });
  return op;
}

/** A fact made here, sealed but for its kind's clear ids. */
export async function factRow(key: SealKey, kind: OpKind, recordId: string, data: Record<string, unknown>): Promise<StoredRow> {
  const spec = KINDS[kind]!;
  const { clear, sealed } = await sealData(key, data, spec.clear);
  return { id: recordId, rawId: recordId, version: null, clear, sealed, local: true, ...(spec.index?.(data) ?? {}) };
}

/** Status button: a call_status fact. */
export async function recordStatus(key: SealKey, callRawId: ServerId, status: CallStatus): Promise<Op> {
  check(STATUSES.includes(status) ? {} : { 'data.status': ['unknown status'] });
  const recordId = uuidv7(wallNow());
  const data = { call_id: callRawId, status };
  const row = await factRow(key, 'call_status', recordId, { ...data, ...author(), id: recordId, at: new Date(estimatedNow()).toISOString() });
  const d = db();
  return capture(key, { kind: 'call_status', action: 'create', recordId, baseVersion: null, data }, KINDS.call_status.table, () => d.statusEvents.put(row));
}

/**
 * Undo a tap: a call_status fact that withdraws the earlier one (same status, its id in
 * `withdraws`). The earlier tap stays; the server checks author and window (server/calls/status.py).
 */
export async function withdrawStatus(key: SealKey, callRawId: ServerId, tap: { id: string; status: CallStatus }): Promise<Op> {
  check(STATUSES.includes(tap.status) ? {} : { 'data.status': ['unknown status'] });
  const recordId = uuidv7(wallNow());
  const data = { call_id: callRawId, status: tap.status, withdraws: tap.id };
  const row = await factRow(key, 'call_status', recordId, { ...data, ...author(), id: recordId, at: new Date(estimatedNow()).toISOString() });
  const d = db();
  return capture(key, { kind: 'call_status', action: 'create', recordId, baseVersion: null, data }, KINDS.call_status.table, () => d.statusEvents.put(row));
}

/** Append a note: a call_note fact. */
export async function addNote(key: CryptoKey, callRawId: ServerId, body: string): Promise<Op> {
  check(body.length < 1 || body.length > NOTE_MAX_CHARS ? { 'data.body': [`1 to ${NOTE_MAX_CHARS} characters`] } : {});
  const recordId = uuidv7(wallNow());
  const data = { call_id: callRawId, body };
  const row = await factRow(key, 'call_note', recordId, { ...data, ...author(), id: recordId, at: new Date(estimatedNow()).toISOString() });
  const d = db();
  return capture(key, { kind: 'call_note', action: 'create', recordId, baseVersion: null, data }, KINDS.call_note.table, () => d.notes.put(row));
}

export type CallEdit = Partial<Record<CallEditableField, string | null>>;

/** Disposition / transport destination: a call document update from the version last seen. */
export async function updateCall(key: CryptoKey, call: CallRow, edit: CallEdit): Promise<Op> {
  const editable: readonly string[] = CALL_EDITABLE;
  const unknown = Object.keys(edit).filter((k) => !editable.includes(k));
  check(unknown.length ? Object.fromEntries(unknown.map((k) => [`data.${k}`, ['unknown field']])) : Object.keys(edit).length ? {} : { data: ['nothing to change'] });
  const previous = call.localSealed ? await open<CallEdit>(key, call.localSealed) : {};
  const localSealed = await seal(key, { ...previous, ...edit });
  const d = db();
  return capture(key, { kind: 'call', action: 'update', recordId: call.id, baseVersion: call.version, data: { ...edit } }, KINDS.call.table, () =>
    d.calls.update(call.id, { localSealed }),
  );
}

/** The error for a location_point field outside the range the server takes, or none. */
function outOfRange(field: FieldOf<'location_point'>, value: number): Record<string, string[]> {
  const { min, max } = numberRange('location_point', field);
  return value >= min && value <= max ? {} : { [`data.${field}`]: [`${min}..${max}`] };
}

/** A position while on duty: a location_point fact, recorded locked or not (locked: into the write-only box). */
export async function recordLocation(lat: number, lon: number, accuracyM: number | null): Promise<Op> {
  check({ ...outOfRange('lat', lat), ...outOfRange('lon', lon) });
  const key = getSession()?.dataKey ?? null;
  const recordId = uuidv7(wallNow());
  const data: Record<string, unknown> = { lat, lon };
  if (accuracyM !== null) data.accuracy_m = accuracyM;
  const row = await factRow(key, 'location_point', recordId, { ...data, id: recordId, at: new Date(estimatedNow()).toISOString() });
  const d = db();
  return capture(key, { kind: 'location_point', action: 'create', recordId, baseVersion: null, data }, KINDS.location_point.table, () => d.locationPoints.put(row));
}
