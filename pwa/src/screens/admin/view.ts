/** Pure helpers of the administration desk: a shift's hours as times, who may be on a crew, the role list. */
import type { Role } from '../../api/types';
import type { Person, Shift } from '../../api/admin';

/** Every role a login may have, in the order the people list shows them (field roles first). */
export const ROLES: readonly Role[] = [
  'responder_clinician',
  'responder_peer',
  'responder_emt',
  'cit_officer',
  'diversion_clinician',
  'dispatcher',
  'supervisor',
  'supply_manager',
  'care_navigator',
  'program_lead',
  'admin',
];

const HOUR = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 24 * 60 * 60_000;

/**
 * A shift's start and end from the day and the hours typed (local time), or null when one is not a
 * day or an hour. An end at or before the start is the next day's (a night shift, 19:00 to 07:00).
 */
export function shiftTimes(day: string, start: string, end: string): { starts_at: string; ends_at: string } | null {
  if (!DAY.test(day) || !HOUR.test(start) || !HOUR.test(end)) return null;
  const starts = new Date(`${day}T${start}:00`);
  let ends = new Date(`${day}T${end}:00`);
  if (Number.isNaN(starts.getTime()) || Number.isNaN(ends.getTime())) return null;
  if (ends <= starts) ends = new Date(ends.getTime() + DAY_MS);
  return { starts_at: starts.toISOString(), ends_at: ends.toISOString() };
}

/** The day (YYYY-MM-DD, local) a date falls on: the form's default day. */
export function localDay(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}

/** People a supervisor may put on a crew: active, in field or diversion roles, by name. */
export function crewCandidates(list: readonly Person[]): Person[] {
  const crewRoles: readonly Role[] = [...ROLES.slice(0, ROLES.indexOf('diversion_clinician') + 1)];
  return list.filter((p) => p.active && crewRoles.includes(p.role)).sort((a, b) => a.full_name.localeCompare(b.full_name));
}

/** The units each active person is on a shift with (not ended yet), for the people list. */
export function unitsByPerson(shifts: readonly Shift[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const s of shifts) {
    for (const m of s.members) {
      if (m.user_id === undefined) continue;
      const signs = out.get(m.user_id) ?? [];
      if (!signs.includes(s.call_sign)) signs.push(s.call_sign);
      out.set(m.user_id, signs);
    }
  }
  return out;
}

/** The shift's crew refusal as the server gave it: the message on the members, else the form's own. */
export function crewRefusal(fields: Record<string, string>): string | null {
  return fields.member_ids ?? fields[''] ?? null;
}
