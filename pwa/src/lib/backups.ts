/**
 * Backup requests from this tablet: a request is written to the local queue first, then sent on
 * its own endpoint (POST /api/v1/backups) at once; one left queued (no signal, a server error) is
 * sent by every sync pass before the outbox is pushed. The id is made here, so a retry after a
 * lost answer, or a second press while one is open, is the same request on the server.
 */
import { HttpError, NetworkError, type ApiClient } from '../api/client';
import { getSession } from '../crypto/session';
import { db, type StoredBackupRow } from '../db';
import { sendQueuedReferrals } from './careReferrals';
import { sendCheckin } from './checkinAnswers';
import { uuidv7 } from './uuidv7';

export type Urgency = StoredBackupRow['urgency'];
export type Position = NonNullable<StoredBackupRow['position']>;

/** What the tablet shows of one request, in the order it gets there. */
export type BackupStage = 'queued' | 'sent' | 'delivered' | 'acknowledged' | 'closed';

export interface Person {
  id: number;
  name: string;
}

/** The server's answer (BackupRequest), the fields the tablet reads. */
export interface BackupAnswer {
  id: string;
  state: 'open' | 'acknowledged' | 'cancelled' | 'resolved';
  delivered_to: number;
  acknowledged_by: Person | null;
  acknowledged_at: string | null;
  closed_by: Person | null;
  closed_at: string | null;
  close_reason: string | null;
  tier_name: string;
}

const answerOf = (row: StoredBackupRow): BackupAnswer | null => (row.server as BackupAnswer | null) ?? null;

export function stageOf(row: StoredBackupRow): BackupStage {
  const answer = answerOf(row);
  if (row.state === 'queued' || !answer) return 'queued';
  if (answer.state === 'cancelled' || answer.state === 'resolved') return 'closed';
  if (answer.state === 'acknowledged') return 'acknowledged';
  return answer.delivered_to > 0 ? 'delivered' : 'sent';
}

/** Still needs an answer from a person: queued, or sent and not yet acknowledged or closed. */
export const isOpen = (row: StoredBackupRow): boolean => {
  const stage = stageOf(row);
  return stage !== 'acknowledged' && stage !== 'closed';
};

export const answer = answerOf;

/** The request this tablet made last (the one its panel shows), if any. */
export async function latestBackup(): Promise<StoredBackupRow | undefined> {
  const rows = await db().backups.toArray();
  rows.sort((a, b) => b.id.localeCompare(a.id)); // uuidv7: newest last in time order
  return rows[0];
}

const body = (row: StoredBackupRow) => ({
  id: row.id,
  call_id: row.callId,
  urgency: row.urgency,
  position: row.position,
  device_time: row.deviceTime,
  note: null,
  pressed_by: row.userId ?? null,
});

/**
 * A press: a new queued request, unless one is still open (a second press while help is coming is
 * the same request, sent again). Sends at once; offline it stays queued for the next sync pass.
 */
export async function requestBackup(
  api: ApiClient | null,
  request: { urgency: Urgency; callId: string | null; position: Position | null },
  now: Date = new Date(),
): Promise<StoredBackupRow> {
  const open = await latestBackup();
  const row: StoredBackupRow =
    open && isOpen(open)
      ? open
      : { id: uuidv7(now.getTime()), ...request, deviceTime: now.toISOString(), userId: getSession()?.user.id ?? null, state: 'queued', server: null, lastError: null };
  if (row !== open) await db().backups.put(row);
  if (api) await sendBackup(api, row).catch(() => undefined);
  return (await db().backups.get(row.id)) ?? row;
}

/** Sends one request; the answer is kept. No signal or a 5xx: it stays queued (the error is thrown for the caller's backoff). */
export async function sendBackup(api: ApiClient, row: StoredBackupRow): Promise<void> {
  try {
    const server = await api.send<BackupAnswer>('POST', '/backups', body(row));
    await db().backups.update(row.id, { state: 'sent', server: server as unknown as Record<string, unknown>, lastError: null });
  } catch (e) {
    if (e instanceof HttpError && e.status < 500 && e.status !== 429) {
      // Refused (another unit's id, off shift): kept queued with the reason shown; never dropped.
      await db().backups.update(row.id, { lastError: e.message });
      return;
    }
    throw e;
  }
}

/** Every queued request, check-in answer and referral, oldest first: a sync pass runs this before it pushes the outbox. */
export async function sendQueued(api: ApiClient): Promise<number> {
  const queued = await db().backups.where('state').equals('queued').sortBy('id');
  for (const row of queued) await sendBackup(api, row);
  const answers = await db().checkinAnswers.where('state').equals('queued').sortBy('id');
  for (const a of answers) await sendCheckin(api, a);
  return queued.length + answers.length + (await sendQueuedReferrals(api));
}

/** The request's current state from the server (a poll while the stream is down); offline, nothing changes. */
export async function refreshBackup(api: ApiClient, id: string): Promise<void> {
  try {
    const server = await api.send<BackupAnswer>('GET', `/backups/${id}`);
    await db().backups.update(id, { server: server as unknown as Record<string, unknown> });
  } catch (e) {
    if (!(e instanceof NetworkError) && !(e instanceof HttpError)) throw e;
  }
}

/** A live backup.* event about one of this tablet's requests: its payload is the request. */
export async function applyBackupEvent(payload: Record<string, unknown>): Promise<void> {
  const id = typeof payload.id === 'string' ? payload.id : null;
  if (!id || !(await db().backups.get(id))) return;
  await db().backups.update(id, { state: 'sent', server: payload });
}

/** Cancels with a reason: the crew's own request, once it reached the server. */
export async function cancelBackup(api: ApiClient, id: string, reason: string): Promise<void> {
  const server = await api.send<BackupAnswer>('POST', `/backups/${id}/cancel`, { reason });
  await db().backups.update(id, { server: server as unknown as Record<string, unknown> });
}

/** The last fix, asked for briefly: never holds up the request (the server falls back to the unit's last known point). */
export const POSITION_WAIT_MS = 2000;
/** A fix up to two minutes old is good enough to send help to. */
export const POSITION_MAX_AGE_MS = 120_000;

export function currentPosition(geo: Geolocation | undefined = globalThis.navigator?.geolocation): Promise<Position | null> {
  if (!geo) return Promise.resolve(null);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), POSITION_WAIT_MS);
    geo.getCurrentPosition(
      (p) => {
        clearTimeout(timer);
        resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: p.coords.accuracy ?? null, recorded_at: new Date(p.timestamp).toISOString() });
      },
      () => {
        clearTimeout(timer);
        resolve(null);
      },
      { maximumAge: POSITION_MAX_AGE_MS, timeout: POSITION_WAIT_MS },
    );
  });
}
