import { describe, expect, it } from 'vitest';
import type { Indicator, Measure } from '../src/api/indicators';
import { translate, type Key } from '../src/i18n';
import {
  baselineText,
  byProgram,
  cellText,
  chartData,
  checkFilters,
  columnLabel,
  csvFileName,
  defaultFilters,
  groupValueLabel,
  heatLevel,
  queryOf,
  seriesLabel,
  titleOf,
  weekRows,
  type Filters,
} from '../src/screens/indicators/view';

const en = (key: Key) => translate('en', key);
const es = (key: Key) => translate('es', key);
const count = (name: string): Measure => ({ name, description: '', suppressed_with: [name] });
const derived = (name: string, base: string[]): Measure => ({ name, description: '', suppressed_with: base });
const filters = (over: Partial<Filters> = {}): Filters => ({ period: 'week', from: '2026-11-02', to: '2026-11-15', program: '', callType: '', area: '', ...over });

function transports(): Indicator {
  return {
    id: 'transports',
    title: 'Responses ending in transport, by destination',
    definition: '',
    common: '',
    source_fields: [],
    filters: {} as Indicator['filters'],
    periods: ['2026-11-02', '2026-11-09'],
    groups: ['program', 'destination'],
    measures: [count('responses'), count('program_responses'), derived('share', ['responses', 'program_responses'])],
    rows: [
      { period: '2026-11-02', group: { program: 'community_response', destination: 'none' }, values: { responses: 12, program_responses: 15, share: 0.8 }, suppressed_in_exports: false },
      { period: '2026-11-02', group: { program: 'community_response', destination: 'Duke ED' }, values: { responses: 3, program_responses: 15, share: 0.2 }, suppressed_in_exports: true },
      { period: '2026-11-09', group: { program: 'community_response', destination: 'none' }, values: { responses: 9, program_responses: 9, share: 1 }, suppressed_in_exports: false },
      { period: '2026-11-09', group: { program: 'co_response', destination: 'none' }, values: { responses: 6, program_responses: 6, share: 1 }, suppressed_in_exports: false },
    ],
    suppressed_in_exports: true,
    notes: [],
  };
}

describe('the dashboard filters', () => {
  it('default to the last 84 days up to today, by week, every program', () => {
    expect(defaultFilters(new Date(2026, 10, 15, 18, 30))).toEqual(filters({ from: '2026-08-24', to: '2026-11-15' }));
  });

  it('send the period, range, program, call type and area (the CSV export is filtered as the screen is)', () => {
    const q = new URLSearchParams(queryOf(filters({ program: 'co_response', callType: 'welfare_check', area: ' downtown ' })));
    expect(Object.fromEntries(q)).toEqual({ period: 'week', from: '2026-11-02', to: '2026-11-15', program: 'co_response', call_type: 'welfare_check', area: 'downtown' });
    expect(queryOf(filters())).toBe('period=week&from=2026-11-02&to=2026-11-15');
  });

  it.each([
    [filters(), {}],
    [filters({ from: '' }), { from: 'ind.error.date' }],
    [filters({ to: 'soon' }), { to: 'ind.error.date' }],
    [filters({ to: '2026-11-01' }), { to: 'ind.error.order' }],
    [filters({ from: '2026-11-02', to: '2026-11-02' }), {}],
    [filters({ from: '2024-11-01', to: '2026-11-01' }), {}],
    [filters({ from: '2024-11-01', to: '2026-11-02' }), { to: 'ind.error.range' }],
  ])('checks %j before sending: %j', (f, errors) => {
    expect(checkFilters(f)).toEqual(errors);
  });

  it('name the CSV after the indicator and its range', () => {
    expect(csvFileName('response_times', filters())).toBe('response_times-2026-11-02-2026-11-15.csv');
  });
});

describe('a cell of the table', () => {
  it.each([
    [count('responses'), { responses: 12 }, '12'],
    [count('responses'), { responses: 4 }, '<5'],
    [count('responses'), { responses: 1 }, '<5'],
    [count('responses'), { responses: 0 }, '0'],
    [count('responses'), { responses: 5 }, '5'],
    [derived('share', ['responses', 'program_responses']), { responses: 12, program_responses: 15, share: 0.8 }, '80%'],
    [derived('share', ['responses', 'program_responses']), { responses: 3, program_responses: 15, share: 0.2 }, ''],
    [derived('median_seconds', ['calls_timed']), { calls_timed: 7, median_seconds: 1234.5 }, '1,234.5'],
    [derived('median_seconds', ['calls_timed']), { calls_timed: 0, median_seconds: null }, '—'],
    [derived('officer_minutes_per_call', []), { officer_minutes_per_call: 45 }, '45'],
  ])('%j of %j shows %j, as the CSV export does', (m, values, text) => {
    expect(cellText(m, values, 'en')).toBe(text);
  });

  it('writes numbers the Spanish way in Spanish', () => {
    expect(cellText(derived('p90_seconds', ['calls_timed']), { calls_timed: 9, p90_seconds: 1234.5 }, 'es')).toBe('1,234.5');
    expect(cellText(derived('felt_safe_share', ['felt_safe']), { felt_safe: 9, felt_safe_share: 0.75 }, 'es')).toMatch(/^75\s?%$/);
  });
});

describe('the chart and the program filter', () => {
  it('draws one series per group over every period, a suppressed or missing value as a gap', () => {
    const data = chartData(transports());
    expect(data.periods).toEqual(['2026-11-02', '2026-11-09']);
    expect(data.xs).toEqual([Date.UTC(2026, 10, 2) / 1000, Date.UTC(2026, 10, 9) / 1000]);
    expect(data.series.map((s) => [s.group, s.values])).toEqual([
      [{ program: 'community_response', destination: 'none' }, [12, 9]],
      [{ program: 'community_response', destination: 'Duke ED' }, [null, null]],
      [{ program: 'co_response', destination: 'none' }, [null, 6]],
    ]);
  });

  it('says the program filter applies only to an indicator grouped by program', () => {
    expect(byProgram(transports())).toBe(true);
    expect(byProgram({ groups: ['call_type'] })).toBe(false);
  });
});

describe('labels in the reader language', () => {
  it('translate programs, outcomes, reasons and stages; leave unknown values in plain words', () => {
    expect(groupValueLabel(en, 'program', 'community_response')).toBe(en('dispatch.response.community_response'));
    expect(groupValueLabel(es, 'outcome', 'not_served')).toBe('No atendida');
    expect(groupValueLabel(es, 'detail', 'all_busy')).toBe(es('dispatch.reason.all_busy'));
    expect(groupValueLabel(en, 'detail', 'co_response')).toBe(en('dispatch.response.co_response'));
    expect(groupValueLabel(en, 'destination', 'Duke_Regional')).toBe('Duke Regional');
    expect(groupValueLabel(en, 'stage', 'received_to_on_scene')).toBe('Received → on scene');
    expect(seriesLabel(es, ['program', 'destination'], { program: 'co_response', destination: 'none' })).toBe(`${es('dispatch.response.co_response')} · Sin traslado`);
  });

  it('title every indicator and column the server sends, falling back to its own words', () => {
    expect(titleOf(es, 'naloxone', 'x')).toBe('Naloxona administrada y kits entregados');
    expect(titleOf(es, 'new_one', 'New one')).toBe('New one');
    expect(columnLabel(en, 'p90_seconds')).toBe('90th percentile (s)');
    expect(columnLabel(en, 'brand_new_measure')).toBe('brand new measure');
  });
});

describe('the dashboard in the navigation', () => {
  it('is where a program lead lands, and a supervisor may open it; nobody else', async () => {
    const { homePath, screenFor } = await import('../src/app/screens');
    expect(homePath('program_lead')).toBe('/indicators');
    expect(screenFor('/indicators', 'supervisor')?.id).toBe('indicators');
    expect(screenFor('/indicators', 'dispatcher')).toBeNull();
    expect(screenFor('/indicators', 'admin')).toBeNull();
  });
});

describe('the baseline report', () => {
  const cell = (calls: number, eligible: number, eligible_share: number | null) => ({ calls, eligible, eligible_share });

  it.each([
    [cell(129_000, 19_350, 0.15), { calls: '129,000', eligible: '19,350', share: '15%' }],
    [cell(12, 3, 0.25), { calls: '12', eligible: '<5', share: '' }],
    [cell(4, 0, 0), { calls: '<5', eligible: '0', share: '' }],
    [cell(0, 0, null), { calls: '0', eligible: '0', share: '' }],
    [cell(10, 0, 0), { calls: '10', eligible: '0', share: '0%' }],
  ])('shows %j as %j, as its CSV does', (c, text) => {
    expect(baselineText(c, 'en')).toEqual(text);
  });

  it.each([
    [cell(100, 0, 0), 0],
    [cell(100, 19, 0.19), 0],
    [cell(100, 20, 0.2), 1],
    [cell(100, 79, 0.79), 3],
    [cell(100, 100, 1), 4],
    [cell(12, 3, 0.25), null],
    [cell(0, 0, null), null],
  ])('shades %j at level %j', (c, level) => {
    expect(heatLevel(c)).toBe(level);
  });

  it('lays the 168 hours out as 7 days of 24, Monday first', () => {
    const hours = Array.from({ length: 168 }, (_, i) => i);
    const rows = weekRows(hours);
    expect(rows).toHaveLength(7);
    expect(rows[0]![0]).toBe(0);
    expect(rows[6]![23]).toBe(167);
    expect(rows.every((r) => r.length === 24)).toBe(true);
  });
});
