import { describe, expect, it } from 'vitest';
import { shouldRecord } from '../src/lib/geo';
import {
  accurateEnough,
  DEFAULT_RULES,
  MISSED_FIXES_BEFORE_PAUSED,
  rulesFrom,
  trackingStatus,
  type TrackingInputs,
} from '../src/lib/tracking';

const rules = rulesFrom({ location_interval_s: 20, location_min_accuracy_m: 50, location_min_move_m: 30 });
const onDuty: TrackingInputs = {
  onDuty: true,
  visible: true,
  permissionDenied: false,
  lastFixAt: 100_000,
  waitingSince: 0,
  now: 100_000,
  rules,
};

describe('field settings as rules', () => {
  it('takes the server settings in milliseconds and metres', () => {
    expect(rules).toEqual({ intervalMs: 20_000, minAccuracyM: 50, minMoveM: 30 });
  });

  it('keeps the defaults for settings not heard yet or not usable', () => {
    expect(rulesFrom(null)).toEqual(DEFAULT_RULES);
    expect(rulesFrom({ location_interval_s: 0, location_min_accuracy_m: -1 })).toEqual(DEFAULT_RULES);
    expect(rulesFrom({ location_min_move_m: 10 })).toEqual({ ...DEFAULT_RULES, minMoveM: 10 });
  });
});

describe('which fixes are recorded', () => {
  const at = (lat: number, lon: number, t: number) => ({ lat, lon, at: t });

  it('drops a fix worse than the accuracy limit, or of unknown accuracy', () => {
    expect(accurateEnough(50, rules)).toBe(true);
    expect(accurateEnough(51, rules)).toBe(false);
    expect(accurateEnough(null, rules)).toBe(false);
    expect(accurateEnough(Number.NaN, rules)).toBe(false);
  });

  it('within the interval drops a point that moved less than the minimum, keeps one that moved more', () => {
    // 0.0002 degrees of latitude is about 22 m, 0.0004 about 44 m.
    expect(shouldRecord(at(36, -78.9, 0), at(36.0002, -78.9, 10_000), rules)).toBe(false);
    expect(shouldRecord(at(36, -78.9, 0), at(36.0004, -78.9, 10_000), rules)).toBe(true);
  });

  it('records a unit standing still once per configured interval', () => {
    expect(shouldRecord(at(36, -78.9, 0), at(36, -78.9, 19_999), rules)).toBe(false);
    expect(shouldRecord(at(36, -78.9, 0), at(36, -78.9, 20_000), rules)).toBe(true);
  });
});

describe('what the tablet says about tracking', () => {
  it('says nothing off duty, whatever else', () => {
    expect(trackingStatus({ ...onDuty, onDuty: false, permissionDenied: true, visible: false })).toBe('idle');
  });

  it('is on while fixes come', () => {
    expect(trackingStatus({ ...onDuty, now: 100_000 + rules.intervalMs })).toBe('on');
  });

  it('is paused when the page is hidden', () => {
    expect(trackingStatus({ ...onDuty, visible: false })).toBe('paused');
  });

  it('is off when permission is denied, even on screen', () => {
    expect(trackingStatus({ ...onDuty, permissionDenied: true })).toBe('denied');
  });

  it('is paused after two intervals without a fix, not before', () => {
    const quiet = MISSED_FIXES_BEFORE_PAUSED * rules.intervalMs;
    expect(trackingStatus({ ...onDuty, now: 100_000 + quiet - 1 })).toBe('on');
    expect(trackingStatus({ ...onDuty, now: 100_000 + quiet })).toBe('paused');
  });

  it('waits two intervals from the start of the watch before the first fix', () => {
    const start = { ...onDuty, lastFixAt: null, waitingSince: 50_000 };
    expect(trackingStatus({ ...start, now: 50_000 + 2 * rules.intervalMs - 1 })).toBe('on');
    expect(trackingStatus({ ...start, now: 50_000 + 2 * rules.intervalMs })).toBe('paused');
  });

  it('is on again when the page comes back, though the last fix is old', () => {
    const back = { ...onDuty, lastFixAt: 0, waitingSince: 600_000, now: 600_000 };
    expect(trackingStatus({ ...back, visible: false })).toBe('paused');
    expect(trackingStatus(back)).toBe('on');
  });
});
