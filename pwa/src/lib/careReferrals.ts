/**
 * Referrals to community care from a call's screen: written to the local queue first (the need
 * and note sealed), then sent on their own endpoint (POST /api/v1/care/referrals) at once; one
 * left queued (no signal, a server error) goes out with the backup requests at the next sync
 * pass. The id is made here, so a retry after a lost answer is the same referral on the server.
 */
import { care } from '../api/care';
import { HttpError, type ApiClient } from '../api/client';
import { getSession, requireKey } from '../crypto/session';
import { db, type StoredCareReferralRow } from '../db';
import { openValue, sealValue } from '../db/vault';
import { uuidv7 } from './uuidv7';

interface Said {
  need: string | null;
  note: string | null;
}

/** A referral made now: queued, sealed, then sent when there is a client. */
export async function referToCare(api: ApiClient | null, callId: string, need: string | null, note: string | null, now: Date = new Date()): Promise<StoredCareReferralRow> {
  const said: Said = { need, note };
  const row: StoredCareReferralRow = {
    id: uuidv7(now.getTime()),
    callId,
    sealed: await sealValue(requireKey(), said),
    deviceTime: now.toISOString(),
    userId: getSession()?.user.id ?? null,
    state: 'queued',
    lastError: null,
  };
  await db().careReferrals.add(row);
  if (api) await sendReferral(api, row).catch(() => undefined);
  return (await db().careReferrals.get(row.id)) ?? row;
}

/** Sends one referral. No signal or a 5xx: it stays queued (the error is thrown for the caller's backoff). */
export async function sendReferral(api: ApiClient, row: StoredCareReferralRow): Promise<void> {
  const said = await openValue<Said>(requireKey(), row.sealed);
  try {
    await care.referCall(api, { id: row.id, callId: row.callId, need: said.need, note: said.note, madeBy: row.userId });
    await db().careReferrals.update(row.id, { state: 'sent', lastError: null });
  } catch (e) {
    if (e instanceof HttpError && e.status < 500 && e.status !== 429) {
      await db().careReferrals.update(row.id, { state: 'refused', lastError: e.message });
      return;
    }
    throw e;
  }
}

/** Every queued referral, oldest first (a sync pass runs this before it pushes the outbox); none while locked. */
export async function sendQueuedReferrals(api: ApiClient): Promise<number> {
  if (!getSession()) return 0; // sealed: they wait for a crew member to unlock
  const queued = await db().careReferrals.where('state').equals('queued').sortBy('id');
  for (const row of queued) await sendReferral(api, row);
  return queued.length;
}

/** The referrals made on this tablet for the call, newest first. */
export async function referralsOf(callId: string): Promise<StoredCareReferralRow[]> {
  const rows = await db().careReferrals.where('callId').equals(callId).toArray();
  return rows.sort((a, b) => b.id.localeCompare(a.id));
}
