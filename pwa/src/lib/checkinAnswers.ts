/**
 * "All OK" from this tablet: a tap is written to the local queue in one transaction, then sent
 * on its own endpoint (POST /api/v1/checkins) at once; one left queued (no signal, a server
 * error) goes out with the backup requests, before the outbox, at the next sync pass. The
 * answer starts a new window on the tablet at once, sent or not.
 */
import { HttpError, type ApiClient } from '../api/client';
import { getSession } from '../crypto/session';
import { allStatusEvents, db, listCalls, type StoredCheckinAnswerRow } from '../db';
import { callAddress, callTitle, statusFactOf } from '../app/callView';
import { checkinDueAt, type CheckinRules, type ServerPrompt } from './checkin';
import { estimatedNow, wallNow } from './deviceClock';
import type { StatusFact } from './lifecycle';
import { uuidv7 } from './uuidv7';

/** The answer's time on the timer's clock (a row from before `at` was kept: its device time). */
const answeredAt = (a: StoredCheckinAnswerRow): number => Date.parse(a.at ?? a.deviceTime);

/** A tap: one queued answer, written in one transaction, then sent when there is a client. */
export async function answerCheckin(api: ApiClient | null, callId: string): Promise<StoredCheckinAnswerRow> {
  const row: StoredCheckinAnswerRow = {
    id: uuidv7(wallNow()),
    callId,
    deviceTime: new Date(wallNow()).toISOString(),
    at: new Date(estimatedNow()).toISOString(),
    userId: getSession()?.user.id ?? null,
    state: 'queued',
    lastError: null,
  };
  await db().transaction('rw', db().checkinAnswers, () => db().checkinAnswers.add(row));
  if (api) await sendCheckin(api, row).catch(() => undefined);
  return (await db().checkinAnswers.get(row.id)) ?? row;
}

/**
 * A refused answer is tried again at each pass this long: an answer made offline goes out before
 * the outbox, so the server may not know of the on-scene tap yet; past this, the window it
 * answered is long over and the call most likely cleared.
 */
export const CHECKIN_RETRY_MS = 60 * 60_000;

/**
 * Sends one answer. No signal or a 5xx: it stays queued (the error is thrown for the caller's
 * backoff). A refusal (the call not on scene yet as far as the server knows, the id another
 * unit's) keeps it queued with the reason, tried again at the next pass, until CHECKIN_RETRY_MS.
 */
export async function sendCheckin(api: ApiClient, row: StoredCheckinAnswerRow): Promise<void> {
  try {
    await api.send('POST', '/checkins', { id: row.id, call_id: row.callId, device_time: row.deviceTime, answered_by: row.userId ?? null });
    await db().checkinAnswers.update(row.id, { state: 'sent', lastError: null });
  } catch (e) {
    if (e instanceof HttpError && e.status < 500 && e.status !== 429) {
      const givenUp = estimatedNow() - answeredAt(row) > CHECKIN_RETRY_MS;
      await db().checkinAnswers.update(row.id, { state: givenUp ? 'sent' : 'queued', lastError: e.message });
      return;
    }
    throw e;
  }
}

/** The call whose check-in comes first, with what the prompt shows of it. */
export interface DueCheckin {
  callId: string;
  dueAt: number;
  title: string;
  address: string;
}

/** Of the calls the unit is on scene at, the one to ask about first (null: none on scene). */
export async function nextCheckin(rules: CheckinRules, now: number, prompts: ReadonlyMap<string, ServerPrompt>): Promise<DueCheckin | null> {
  const [calls, events, answers] = await Promise.all([listCalls(), allStatusEvents(), db().checkinAnswers.toArray()]);
  const facts = new Map<string, StatusFact[]>();
  for (const e of events) facts.set(e.callId, [...(facts.get(e.callId) ?? []), statusFactOf(e)]);
  let next: DueCheckin | null = null;
  for (const call of calls) {
    const dueAt = checkinDueAt({
      serverStatus: call.clear.status,
      callType: typeof call.clear.call_type === 'string' ? call.clear.call_type : null,
      facts: facts.get(call.id) ?? [],
      answers: answers.filter((a) => a.callId === call.id).map(answeredAt),
      rules,
      now,
      serverPrompt: prompts.get(call.id) ?? null,
    });
    if (dueAt !== null && (!next || dueAt < next.dueAt)) next = { callId: call.id, dueAt, title: callTitle(call.clear), address: callAddress(call.clear) };
  }
  return next;
}
