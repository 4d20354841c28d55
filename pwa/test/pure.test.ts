import { describe, expect, it } from 'vitest';
import { formatHlc, hlcRecv, hlcSend, parseHlc, type Hlc } from '../src/lib/hlc';
import { uuidv7, uuidv7Time } from '../src/lib/uuidv7';
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffDelay } from '../src/lib/backoff';
import { LOCATION_MIN_DISTANCE_M, LOCATION_MIN_INTERVAL_MS, shouldRecord } from '../src/lib/geo';
import { en } from '../src/i18n/en';
import { es } from '../src/i18n/es';

describe('hlc', () => {
  it('is monotonic when the wall clock stands still or jumps back', () => {
    const walls = [1000, 1000, 1000, 999, 5, 2000, 2000, 1500];
    let prev: Hlc | null = null;
    const out: string[] = [];
    for (const w of walls) {
      prev = hlcSend(prev, w, 'dev1');
      out.push(formatHlc(prev));
    }
    expect([...out].sort()).toEqual(out);
    expect(new Set(out).size).toBe(out.length);
  });

  it('formats as 13-4-node and parses back', () => {
    const h = hlcSend(null, 1732503600000, 'dev1');
    expect(formatHlc(h)).toBe('1732503600000-0000-dev1');
    expect(parseHlc(formatHlc(h))).toEqual(h);
  });

  it('rolls the wall forward when the counter overflows', () => {
    const h = hlcSend({ wall: 10, counter: 9999, node: 'n' }, 10, 'n');
    expect(h).toEqual({ wall: 11, counter: 0, node: 'n' });
  });

  it('receive moves past a remote clock ahead of ours', () => {
    const local = hlcSend(null, 1000, 'a');
    const r = hlcRecv(local, { wall: 5000, counter: 3, node: 'b' }, 1200, 'a');
    expect(r).toEqual({ wall: 5000, counter: 4, node: 'a' });
    expect(formatHlc(hlcSend(r, 1300, 'a')) > formatHlc(r)).toBe(true);
  });
});

describe('uuidv7', () => {
  it('has version 7, variant 10 and the time in front', () => {
    const id = uuidv7(1732503600000);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidv7Time(id)).toBe(1732503600000);
  });

  it('sorts by time', () => {
    const a = uuidv7(1000);
    const b = uuidv7(2000);
    expect(a < b).toBe(true);
  });
});

describe('backoff', () => {
  it('stays within [0, min(cap, base * 2^n)]', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
      expect(backoffDelay(attempt, () => 0)).toBe(0);
      const top = backoffDelay(attempt, () => 0.999999);
      expect(top).toBeLessThanOrEqual(ceiling);
      expect(top).toBeGreaterThan(ceiling * 0.99);
    }
    expect(backoffDelay(100, () => 0.999999)).toBeLessThanOrEqual(BACKOFF_CAP_MS);
  });
});

describe('location throttle', () => {
  const at = (lat: number, lon: number, t: number) => ({ lat, lon, at: t });
  it('keeps the first point, then one per interval or distance', () => {
    expect(shouldRecord(null, at(36, -78.9, 0))).toBe(true);
    expect(shouldRecord(at(36, -78.9, 0), at(36, -78.9, 10_000))).toBe(false);
    expect(shouldRecord(at(36, -78.9, 0), at(36, -78.9, LOCATION_MIN_INTERVAL_MS))).toBe(true);
    // ~111 m north, 10 s later
    expect(LOCATION_MIN_DISTANCE_M).toBeLessThan(111);
    expect(shouldRecord(at(36, -78.9, 0), at(36.001, -78.9, 10_000))).toBe(true);
    // moved far but only 1 s later: floor
    expect(shouldRecord(at(36, -78.9, 0), at(36.01, -78.9, 1_000))).toBe(false);
  });
});

describe('i18n', () => {
  it('has the same keys in English and Spanish, none empty', () => {
    expect(Object.keys(es).sort()).toEqual(Object.keys(en).sort());
    for (const [k, v] of Object.entries(es)) expect(v, k).not.toBe('');
  });

  it('uses the same placeholders in both languages', () => {
    const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join(',');
    for (const k of Object.keys(en) as (keyof typeof en)[]) expect(ph(es[k]), k).toBe(ph(en[k]));
  });
});

describe('hlc drift guard', () => {
  it('a remote clock far ahead drags ours at most MAX_DRIFT_MS past now', async () => {
    const { MAX_DRIFT_MS } = await import('../src/lib/hlc');
    const r = hlcRecv(null, { wall: 10_000_000, counter: 5, node: 'far' }, 1_000, 'me');
    expect(r.wall).toBe(1_000 + MAX_DRIFT_MS);
    expect(r.node).toBe('me');
  });
});
