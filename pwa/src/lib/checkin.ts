/**
 * When the crew is asked "All OK?", as pure decisions (the server's rules: server/backups/checkins.py).
 * A call the unit is on scene at counts from its last sign of life, a status change or a check-in
 * answer, for its call type's minutes. The tablet works it out itself, so the prompt comes with no
 * signal; the server's own `checkin.due` brings it forward when the tablet's reckoning is behind.
 *
 * Every time here is on one clock, the server's as the tablet best knows it (`estimatedNow`, the
 * clock every fact is stamped with): a device clock set hours ahead or reset to 1970 moves none of them.
 */
import type { FieldSettings } from '../api/types';
import { callStatus, type StatusFact } from './lifecycle';

/** The server's check-in settings (GET /settings/field, "checkin"), in the units the tablet uses. */
export interface CheckinRules {
  afterMinutes: number;
  byCallType: Readonly<Record<string, number>>;
}

/** Until the tablet has heard the server's settings: the server's default CHECKIN_AFTER_MINUTES. */
export const DEFAULT_CHECKIN_RULES: CheckinRules = { afterMinutes: 20, byCallType: {} };

/**
 * A server prompt's window start and the tablet's last sign of life are compared give or take
 * this much: the two clocks agree only as well as the last reading.
 */
export const PROMPT_SKEW_MS = 60_000;

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** The wire settings as rules; a missing or nonsensical value keeps the default. */
export function checkinRulesFrom(wire: FieldSettings | null | undefined): CheckinRules {
  const c = wire?.checkin;
  const byCallType: Record<string, number> = {};
  for (const [code, minutes] of Object.entries(c?.after_minutes_by_call_type ?? {})) if (positive(minutes)) byCallType[code] = minutes;
  return { afterMinutes: positive(c?.after_minutes) ? c.after_minutes : DEFAULT_CHECKIN_RULES.afterMinutes, byCallType };
}

export function minutesFor(rules: CheckinRules, callType: string | null): number {
  return (callType !== null ? rules.byCallType[callType] : undefined) ?? rules.afterMinutes;
}

/** A `checkin.due` the server sent for a call: its window's start and the moment it came. */
export interface ServerPrompt {
  since: number;
  receivedAt: number;
}

export interface CheckinInput {
  /** The call's status as the server last sent it (received, dispatched...). */
  serverStatus: unknown;
  callType: string | null;
  /** The call's status facts, pulled or tapped here. */
  facts: readonly StatusFact[];
  /** When each check-in answer for the call was given (ms). */
  answers: readonly number[];
  rules: CheckinRules;
  now: number;
  serverPrompt?: ServerPrompt | null;
}

/**
 * When the crew at this call is to be asked (ms), or null when it is not on scene. A sign of life
 * dated after `now` (stamped while the clock was ahead, before the server's time was learned; the
 * next sync brings the server's time) counts as now: the window never starts in the future.
 */
export function checkinDueAt(i: CheckinInput): number | null {
  if (callStatus(i.serverStatus, i.facts) !== 'on_scene') return null;
  const signs = [...i.facts.map((f) => Date.parse(f.at)), ...i.answers].filter(Number.isFinite);
  if (!signs.length) return null;
  const since = Math.min(Math.max(...signs), i.now);
  const local = since + minutesFor(i.rules, i.callType) * 60_000;
  // The server's prompt is for this window unless a sign of life came after it: after the window
  // it names began (an answer the server has not heard of yet), or after the prompt itself.
  const p = i.serverPrompt;
  const current = p && since <= Math.min(p.since + PROMPT_SKEW_MS, p.receivedAt);
  return current ? Math.min(local, p.receivedAt) : local;
}
