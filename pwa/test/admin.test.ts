import { describe, expect, it } from 'vitest';
import type { Person, Shift } from '../src/api/admin';
import { crewCandidates, crewRefusal, localDay, shiftTimes, unitsByPerson } from '../src/screens/admin/view';

const person = (id: number, full_name: string, role: Person['role'], active = true): Person => ({ id, username: `u${id}`, full_name, role, active });

describe('a shift built from the form', () => {
  it('starts and ends on the day at the hours typed', () => {
    const got = shiftTimes('2026-12-03', '07:00', '19:00')!;
    expect(new Date(got.ends_at).getTime() - new Date(got.starts_at).getTime()).toBe(12 * 3600_000);
    expect(localDay(new Date(got.starts_at))).toBe('2026-12-03');
  });

  it('a night shift ends the next day', () => {
    const got = shiftTimes('2026-12-03', '19:00', '07:00')!;
    expect(new Date(got.ends_at).getTime() - new Date(got.starts_at).getTime()).toBe(12 * 3600_000);
    expect(localDay(new Date(got.ends_at))).toBe('2026-12-04');
  });

  it.each([
    ['', '07:00', '19:00'],
    ['2026-12-03', '7', '19:00'],
    ['2026-12-03', '07:00', '24:30'],
  ])('refuses a day or an hour that is not one (%s %s %s)', (day, start, end) => {
    expect(shiftTimes(day, start, end)).toBeNull();
  });
});

describe('the crew picker', () => {
  it('offers active people of crew roles, by name', () => {
    const list = [
      person(1, 'Zoe', 'responder_peer'),
      person(2, 'Ana', 'responder_clinician'),
      person(3, 'Dee', 'dispatcher'),
      person(4, 'Bo', 'responder_emt', false),
      person(5, 'Cy', 'cit_officer'),
    ];
    expect(crewCandidates(list).map((p) => p.full_name)).toEqual(['Ana', 'Cy', 'Zoe']);
  });

  it("shows the server's crew rule as the refusal, else the form's message", () => {
    expect(crewRefusal({ member_ids: 'A co-response unit is a clinician with a CIT officer.' })).toBe('A co-response unit is a clinician with a CIT officer.');
    expect(crewRefusal({ '': 'This shift has started.' })).toBe('This shift has started.');
    expect(crewRefusal({ unit_id: 'no such active unit' })).toBeNull();
  });
});

describe('the people list', () => {
  it("names each person's units from the shifts not ended yet, once each", () => {
    const shift = (id: number, call_sign: string, ids: number[]): Shift => ({
      id,
      unit_id: id,
      service_area_id: null,
      call_sign,
      program: 'community_response',
      starts_at: 't',
      ends_at: 't',
      members: ids.map((user_id) => ({ user_id, name: 'x', role: 'responder_peer' })),
    });
    const got = unitsByPerson([shift(1, 'CR-1', [7, 8]), shift(2, 'CR-1', [7]), shift(3, 'CO-2', [7])]);
    expect(got.get(7)).toEqual(['CR-1', 'CO-2']);
    expect(got.get(8)).toEqual(['CR-1']);
    expect(got.get(9)).toBeUndefined();
  });
});
