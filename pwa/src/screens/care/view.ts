/** Care navigation's pure rules for the screens: a referral's next statuses (as the server allows), a follow-up's due state, distances in words. */
import type { FollowUp, ReferralStatus } from '../../api/care';

/** What each tab of the desk is told of its reader. */
export interface TabProps {
  /** Whether the reader may act (a navigator), not only read. */
  acts: boolean;
  /** Whether the reader reads what the crew recorded on the call (a navigator or a supervisor). */
  content: boolean;
}

/** Forward only, closed from anywhere, nothing after closed: the server's NEXT_STATUSES. */
export const NEXT_STATUSES: Record<ReferralStatus, readonly ReferralStatus[]> = {
  made: ['accepted', 'connected', 'closed'],
  accepted: ['connected', 'closed'],
  connected: ['closed'],
  closed: [],
};

export function nextStatuses(status: ReferralStatus): readonly ReferralStatus[] {
  return NEXT_STATUSES[status] ?? [];
}

/** A follow-up past its time (overdue), due within the day (today), or later. */
export type DueState = 'overdue' | 'today' | 'later';
/** "Due today": the next 24 hours, a navigator's working day ahead. */
export const TODAY_MS = 24 * 60 * 60 * 1000;

export function dueState(task: Pick<FollowUp, 'due_at'>, now: Date): DueState {
  const due = new Date(task.due_at).getTime();
  if (due < now.getTime()) return 'overdue';
  return due - now.getTime() <= TODAY_MS ? 'today' : 'later';
}

/** Soonest due first, then by id (the server's order, kept after a local change). */
export function byDue<T extends Pick<FollowUp, 'due_at' | 'id'>>(tasks: readonly T[]): T[] {
  return [...tasks].sort((a, b) => a.due_at.localeCompare(b.due_at) || a.id - b.id);
}

/** A distance as the screen says it: metres below a kilometre ("850 m"), kilometres to a tenth above ("3.2 km"). */
export function distance(metres: number | null): { key: 'care.metres' | 'care.km'; n: string } | null {
  if (metres === null) return null;
  return metres < 1000 ? { key: 'care.metres', n: String(Math.round(metres)) } : { key: 'care.km', n: (metres / 1000).toFixed(1) };
}

/** A radius typed into the search: a whole number of kilometres from 1 to the server's limit, else null. */
export const MAX_RADIUS_KM = 200;
export function radiusKm(text: string): number | null {
  const n = Number(text.trim());
  return Number.isInteger(n) && n >= 1 && n <= MAX_RADIUS_KM ? n : null;
}

/** A datetime-local field's value ("2026-12-03T09:30", local time) as an ISO instant, or null when empty or not a time. */
export function dueAtFromInput(text: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text)) return null;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}
