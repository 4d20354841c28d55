/**
 * Capture: every local change is one function that, inside ONE rw transaction, writes the record
 * and appends its outbox op (next seq, UUIDv7 id, HLC, the unlocked person as its author, the
 * clock reading when there is one).
 * Sealing (WebCrypto) happens before the transaction opens, since IndexedDB transactions cannot
 * wait on other async work. A fact's local time is the best the tablet knows (`estimatedNow`):
 * the server's, from the clock reading, until the pull brings the server's own.
 * Capture never needs the network or a valid token.
 */
import { CALL_STATUSES, type CallStatus, type Op, type OpKind, type ServerId } from '../api/types';
import { sealFields, open, seal } from '../crypto/keys';
import { getSession } from '../crypto/session';
import { clockReading, estimatedNow, wallNow } from '../lib/deviceClock';
import { formatHlc, hlcSend, parseHlc } from '../lib/hlc';
import { uuidv7 } from '../lib/uuidv7';
import { db } from './db';
import type { CallRow } from './Call';
import { OP_CLINICAL } from './Outbox';
import type { SyncedRow } from './rows';

/** A capture the server would reject: refused at once, nothing queued (field -> messages). */
export class CaptureError extends Error {
  override name = 'CaptureError';
  constructor(public errors: Record<string, string[]>) {
    super(Object.keys(errors).join(', '));
  }
}

/** Longest note the server accepts (PROTOCOL.md: body 1..10000 chars). */
export const NOTE_MAX_CHARS = 10_000;
const STATUSES: readonly string[] = CALL_STATUSES;

/** The person unlocked now: every op names them (author_id) and the local record shows their name. */
function author(): { user_id: number; author_name: string } | null {
  const user = getSession()?.user;
  return user ? { user_id: user.id, author_name: user.full_name || user.username } : null;
}

function check(errors: Record<string, string[]>): void {
  if (Object.keys(errors).length) throw new CaptureError(errors);
}

interface Draft {
  kind: OpKind;
  action: 'create' | 'update';
  recordId: string;
  baseVersion: number | null;
  data: Record<string, unknown>;
}

/** Seals the op's clinical fields, then runs `write` and the outbox append in one transaction. */
async function capture(
  key: CryptoKey | null,
  draft: Draft,
  tables: string[],
  write: () => Promise<unknown>,
): Promise<Op> {
  const clinical = OP_CLINICAL[draft.kind] ?? [];
  if (clinical.length && !key) throw new Error('locked');
  const { clear, sealed } = clinical.length ? await sealFields(key!, draft.data, clinical) : { clear: draft.data, sealed: null };
  const now = wallNow();
  const reading = clockReading();
  const by = author();
  const id = uuidv7(now);
  const d = db();
  let op!: Op;
  await d.transaction('rw', [d.outbox, d.meta, ...tables], async () => {
    const lastSeq = ((await d.meta.get('last_seq'))?.value as number | undefined) ?? 0;
    const prevHlc = (await d.meta.get('hlc'))?.value as string | undefined;
    const node = String((await d.meta.get('device_id'))?.value ?? 'local');
    const hlc = hlcSend(prevHlc ? parseHlc(prevHlc) : null, now, node);
    const seq = lastSeq + 1;
    op = {
      id,
      seq,
      hlc: formatHlc(hlc),
      kind: draft.kind,
      action: draft.action,
      record_id: draft.recordId,
      base_version: draft.baseVersion,
      device_time: new Date(now).toISOString(),
      ...(by ? { author_id: by.user_id } : {}),
      ...(reading ? { clock: reading } : {}),
      data: clear,
    };
    await d.meta.bulkPut([
      { key: 'last_seq', value: seq },
      { key: 'hlc', value: op.hlc },
    ]);
    await d.outbox.add({ seq, recordId: draft.recordId, op, sealed, state: 'queued', createdAt: op.device_time });
    await write();
  });
  return op;
}

function factRow(recordId: string, clear: Record<string, unknown>, sealed: string | null): SyncedRow {
  return { id: recordId, rawId: recordId, version: null, clear, sealed, local: true };
}

/** Status button: a call_status fact. */
export async function recordStatus(key: CryptoKey | null, callRawId: ServerId, status: CallStatus): Promise<Op> {
  check(STATUSES.includes(status) ? {} : { 'data.status': ['unknown status'] });
  const recordId = uuidv7(wallNow());
  const data = { call_id: callRawId, status };
  const d = db();
  return capture(key, { kind: 'call_status', action: 'create', recordId, baseVersion: null, data }, ['statusEvents'], () =>
    d.statusEvents.put({
      ...factRow(recordId, { ...data, ...author(), id: recordId, at: new Date(estimatedNow()).toISOString() }, null),
      callId: String(callRawId),
    }),
  );
}

/**
 * Undo a tap: a call_status fact that withdraws the earlier one (same status, its id in
 * `withdraws`). The earlier tap stays; the server checks author and window (sync/status.py).
 */
export async function withdrawStatus(key: CryptoKey | null, callRawId: ServerId, tap: { id: string; status: CallStatus }): Promise<Op> {
  check(STATUSES.includes(tap.status) ? {} : { 'data.status': ['unknown status'] });
  const recordId = uuidv7(wallNow());
  const data = { call_id: callRawId, status: tap.status, withdraws: tap.id };
  const d = db();
  return capture(key, { kind: 'call_status', action: 'create', recordId, baseVersion: null, data }, ['statusEvents'], () =>
    d.statusEvents.put({
      ...factRow(recordId, { ...data, ...author(), id: recordId, at: new Date(estimatedNow()).toISOString() }, null),
      callId: String(callRawId),
    }),
  );
}

/** Append a note: a call_note fact with a sealed body. */
export async function addNote(key: CryptoKey, callRawId: ServerId, body: string): Promise<Op> {
  check(body.length < 1 || body.length > NOTE_MAX_CHARS ? { 'data.body': [`1 to ${NOTE_MAX_CHARS} characters`] } : {});
  const recordId = uuidv7(wallNow());
  const data = { call_id: callRawId, body };
  const row = await sealFields(key, { ...data, ...author(), id: recordId, at: new Date(estimatedNow()).toISOString() }, ['body']);
  const d = db();
  return capture(key, { kind: 'call_note', action: 'create', recordId, baseVersion: null, data }, ['notes'], () =>
    d.notes.put({ ...factRow(recordId, row.clear, row.sealed), callId: String(callRawId) }),
  );
}

export type CallEdit = Partial<Record<'disposition' | 'transport_destination', string>>;

/** Disposition / transport destination: a call document update from the version last seen. */
export async function updateCall(key: CryptoKey, call: CallRow, edit: CallEdit): Promise<Op> {
  const unknown = Object.keys(edit).filter((k) => k !== 'disposition' && k !== 'transport_destination');
  check(unknown.length ? Object.fromEntries(unknown.map((k) => [`data.${k}`, ['unknown field']])) : Object.keys(edit).length ? {} : { data: ['nothing to change'] });
  const previous = call.localSealed ? await open<CallEdit>(key, call.localSealed) : {};
  const localSealed = await seal(key, { ...previous, ...edit });
  const d = db();
  return capture(
    key,
    { kind: 'call', action: 'update', recordId: call.id, baseVersion: call.version, data: { ...edit } },
    ['calls'],
    () => d.calls.update(call.id, { localSealed }),
  );
}

/** A position while on duty: a location_point fact (not clinical). */
export async function recordLocation(lat: number, lon: number, accuracyM: number | null): Promise<Op> {
  const bad: Record<string, string[]> = {};
  if (!(Math.abs(lat) <= 90)) bad['data.lat'] = ['-90..90'];
  if (!(Math.abs(lon) <= 180)) bad['data.lon'] = ['-180..180'];
  check(bad);
  const recordId = uuidv7(wallNow());
  const data: Record<string, unknown> = { lat, lon };
  if (accuracyM !== null) data.accuracy_m = accuracyM;
  const d = db();
  return capture(null, { kind: 'location_point', action: 'create', recordId, baseVersion: null, data }, ['locationPoints'], () =>
    d.locationPoints.put(factRow(recordId, { ...data, id: recordId, at: new Date(estimatedNow()).toISOString() }, null)),
  );
}
