import { describe, expect, it } from 'vitest';
import { resourceSearchPath } from '../src/api/care';
import { byDue, distance, dueAtFromInput, dueState, nextStatuses, radiusKm } from '../src/screens/care/view';

const NOW = new Date('2026-12-02T12:00:00Z');

describe('care navigation views', () => {
  it.each([
    ['made', ['accepted', 'connected', 'closed']],
    ['accepted', ['connected', 'closed']],
    ['connected', ['closed']],
    ['closed', []],
  ] as const)('a referral %s moves on to %j', (status, next) => {
    expect(nextStatuses(status)).toEqual(next);
  });

  it.each([
    ['2026-12-02T11:59:00Z', 'overdue'],
    ['2026-12-02T12:01:00Z', 'today'],
    ['2026-12-03T12:00:00Z', 'today'],
    ['2026-12-03T12:01:00Z', 'later'],
  ] as const)('a follow-up due %s is %s', (due, state) => {
    expect(dueState({ due_at: due }, NOW)).toBe(state);
  });

  it('orders follow-ups soonest due first, ties by id', () => {
    const tasks = [
      { id: 3, due_at: '2026-12-04T00:00:00Z' },
      { id: 2, due_at: '2026-12-01T00:00:00Z' },
      { id: 1, due_at: '2026-12-04T00:00:00Z' },
    ];
    expect(byDue(tasks).map((t) => t.id)).toEqual([2, 1, 3]);
  });

  it.each([
    [null, null],
    [850.4, { key: 'care.metres', n: '850' }],
    [3240, { key: 'care.km', n: '3.2' }],
  ] as const)('says %s metres as %j', (metres, said) => {
    expect(distance(metres)).toEqual(said);
  });

  it.each([
    ['25', 25],
    [' 1 ', 1],
    ['0', null],
    ['201', null],
    ['2.5', null],
    ['', null],
  ] as const)('reads a radius typed as %j as %s', (text, km) => {
    expect(radiusKm(text)).toBe(km);
  });

  it('builds the search path with only what was asked', () => {
    expect(resourceSearchPath({})).toBe('/care/resources');
    expect(resourceSearchPath({ need: ' food ', callId: 'c1', radiusKm: 5 })).toBe('/care/resources?need=food&call_id=c1&radius_km=5');
    expect(resourceSearchPath({ need: '', language: ' es ' })).toBe('/care/resources?language=es');
    expect(resourceSearchPath({ need: 'x', lat: 35.9, lon: -78.9 })).toBe('/care/resources?need=x&lat=35.9&lon=-78.9');
  });

  it('reads a datetime-local value as an instant, and nothing else', () => {
    expect(dueAtFromInput('2026-12-03T09:30')).toBe(new Date(2026, 11, 3, 9, 30).toISOString());
    expect(dueAtFromInput('')).toBeNull();
    expect(dueAtFromInput('tomorrow')).toBeNull();
    expect(dueAtFromInput('2026-13-45T99:99')).toBeNull();
  });
});
