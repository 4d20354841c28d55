/**
 * A call's status is derived from its status facts: the furthest state among the taps that
 * stand wins. A tap may be withdrawn by a later fact that names it (`withdraws`); both stay in
 * the record and count for nothing (the server's rules: server/calls/status.py).
 */
import { CALL_LIFECYCLE } from '../api/facts';

/** The server's lifecycle, in order (the call kind's, generated); the crew sets the last four. */
export const LIFECYCLE = CALL_LIFECYCLE;
export type LifecycleStatus = (typeof LIFECYCLE)[number];

/** How long the person who tapped a status may withdraw it: the server's STATUS_UNDO_MINUTES (server/calls/status.py). */
export const STATUS_UNDO_MINUTES = 5;
const UNDO_MS = STATUS_UNDO_MINUTES * 60_000;

export function rank(s: unknown): number {
  return LIFECYCLE.indexOf(s as LifecycleStatus);
}

export function furthest(statuses: readonly unknown[]): LifecycleStatus | null {
  let best: LifecycleStatus | null = null;
  for (const s of statuses) if (rank(s) > rank(best)) best = s as LifecycleStatus;
  return best;
}

export const isClosed = (s: LifecycleStatus | null): boolean => s === 'cleared';
/** On the way, on scene or transporting: the call a crew is working now. */
export const isUnderway = (s: LifecycleStatus | null): boolean => rank(s) > rank('dispatched') && !isClosed(s);

/** One status fact as these rules read it (`at`: ISO time, the server's clock as best known). */
export interface StatusFact {
  id: string;
  status: unknown;
  at: string;
  author: number | null;
  withdraws: string | null;
}

/** The taps that count: neither withdrawn nor withdrawals themselves. */
export function standing<F extends StatusFact>(facts: readonly F[]): F[] {
  const gone = new Set(facts.map((f) => f.withdraws).filter((w): w is string => w !== null));
  return facts.filter((f) => f.withdraws === null && !gone.has(f.id));
}

export function withdrawnIds(facts: readonly StatusFact[]): Set<string> {
  return new Set(facts.map((f) => f.withdraws).filter((w): w is string => w !== null));
}

/**
 * The call's status: the server's, as far as dispatch set it (received, dispatched), then the
 * furthest standing tap. A tap withdrawn on this tablet stops counting before the server knows.
 */
export function callStatus(serverStatus: unknown, facts: readonly StatusFact[]): LifecycleStatus | null {
  const base = rank(serverStatus) > rank('dispatched') ? 'dispatched' : serverStatus;
  return furthest([base, ...standing(facts).map((f) => f.status)]);
}

/** Standing taps made after a later state had been reached (en route after cleared): id -> that state. */
export function outOfOrder(facts: readonly StatusFact[]): Map<string, LifecycleStatus> {
  const live = standing(facts);
  const out = new Map<string, LifecycleStatus>();
  for (const f of live) {
    const at = Date.parse(f.at);
    const later = furthest(live.filter((g) => rank(g.status) > rank(f.status) && Date.parse(g.at) <= at).map((g) => g.status));
    if (later) out.set(f.id, later);
  }
  return out;
}

/** The taps that make sense now: the states after the current one. */
export function offeredTaps<S extends string>(statuses: readonly S[], current: LifecycleStatus | null): S[] {
  return statuses.filter((s) => rank(s) > rank(current));
}

/** The person's last standing tap, while it may still be withdrawn (`now`: ms, server clock as best known). */
export function undoableTap(facts: readonly StatusFact[], author: number | null, now: number): StatusFact | null {
  if (author === null) return null;
  const own = standing(facts)
    .filter((f) => f.author === author)
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const last = own[own.length - 1];
  if (!last) return null;
  const age = now - Date.parse(last.at);
  return age <= UNDO_MS ? last : null;
}
