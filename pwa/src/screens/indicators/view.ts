/**
 * Pure helpers of the indicators dashboard: the filters (defaults, checks, the query they send),
 * what a cell shows (counts from 1 to 4 as "<5" and what is computed from them left empty, as the
 * server's CSV export does), whether the program filter applies, each indicator's chart series, the
 * CSV file's name, and the labels of groups and measures.
 */
import type { BaselineCell, Indicator, IndicatorId, Measure } from '../../api/indicators';
import { TABLES, type Key } from '../../i18n';
import { reasonLabel, responseLabel } from '../dispatch/view';

export type Period = 'day' | 'week' | 'month';
export const PERIODS: readonly Period[] = ['day', 'week', 'month'];
/** The HEART programs, as the server names them (units.program). */
export const PROGRAMS = ['community_response', 'co_response', 'crisis_call_diversion', 'care_navigation'] as const;
/** Without dates: the last 12 weeks up to today, as the server's own default (a trend by week). */
export const DEFAULT_RANGE_DAYS = 84;
/** The server's bound on one request's range (two years of days). */
export const MAX_RANGE_DAYS = 731;
/** Counts from 1 to this are suppressed, as the server's exports do: so small a group can point at a person. */
export const SUPPRESS_BELOW = 5;
export const SUPPRESSED = '<5';
/** What a cell with no value shows (a time no call measured, a share of nothing). */
export const NO_VALUE = '—';

export interface Filters {
  period: Period;
  /** YYYY-MM-DD, both included. */
  from: string;
  to: string;
  /** '' for all. */
  program: string;
  callType: string;
  area: string;
}

/** A local calendar day as YYYY-MM-DD. */
export function isoDay(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function defaultFilters(today: Date): Filters {
  const from = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (DEFAULT_RANGE_DAYS - 1));
  return { period: 'week', from: isoDay(from), to: isoDay(today), program: '', callType: '', area: '' };
}

const DAY_MS = 86_400_000;
const dayNumber = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / DAY_MS;

/** What is wrong with the filters before they are sent, by the server's field names. */
export function checkFilters(f: Filters): Partial<Record<'from' | 'to', Key>> {
  const from = dayNumber(f.from);
  const to = dayNumber(f.to);
  if (Number.isNaN(from)) return { from: 'ind.error.date' };
  if (Number.isNaN(to)) return { to: 'ind.error.date' };
  if (to < from) return { to: 'ind.error.order' };
  if (to - from >= MAX_RANGE_DAYS) return { to: 'ind.error.range' };
  return {};
}

/** The query the server reads, the screen's and the CSV export's alike. */
export function queryOf(f: Filters): string {
  const q = new URLSearchParams({ period: f.period, from: f.from, to: f.to });
  if (f.program) q.set('program', f.program);
  if (f.callType) q.set('call_type', f.callType);
  if (f.area.trim()) q.set('area', f.area.trim());
  return q.toString();
}

/** The saved export's name: the indicator and its range. */
export function csvFileName(id: IndicatorId, f: Filters): string {
  return `${id}-${f.from}-${f.to}.csv`;
}

/** Whether the program filter applies to the indicator: its rows are grouped by program. */
export function byProgram(indicator: Pick<Indicator, 'groups'>): boolean {
  return indicator.groups.includes('program');
}

const small = (v: number | null | undefined) => typeof v === 'number' && v > 0 && v < SUPPRESS_BELOW;

/** A measure's value in a row, or null where it is suppressed or has none; `suppressed` says which. */
export function cellValue(measure: Measure, values: Record<string, number | null>): { value: number | null; suppressed: boolean } {
  if (measure.suppressed_with.some((name) => small(values[name]))) return { value: null, suppressed: true };
  return { value: values[measure.name] ?? null, suppressed: false };
}

/** A cell as text: "<5" for a small count, empty for what is computed from one, shares in %, times in seconds. */
export function cellText(measure: Measure, values: Record<string, number | null>, lang: 'en' | 'es'): string {
  const { value, suppressed } = cellValue(measure, values);
  const locale = lang === 'es' ? 'es-US' : 'en-US';
  if (suppressed) return measure.suppressed_with.length === 1 && measure.suppressed_with[0] === measure.name ? SUPPRESSED : '';
  if (value === null) return NO_VALUE;
  if (measure.name.endsWith('share')) return value.toLocaleString(locale, { style: 'percent', maximumFractionDigits: 1 });
  return value.toLocaleString(locale, { maximumFractionDigits: 1 });
}

/** The measure each indicator's chart draws over the periods. */
export const CHART_MEASURE: Record<IndicatorId, string> = {
  responses: 'responses',
  transports: 'responses',
  eligible_served: 'calls',
  referrals: 'referrals',
  response_times: 'median_seconds',
  diversion: 'calls_diverted',
  responder_safety: 'felt_safe_share',
  naloxone: 'naloxone_administrations',
};

export interface Series {
  /** The group's values, one per group column. */
  group: Record<string, string>;
  /** One value per period; null where suppressed or none. */
  values: (number | null)[];
}

/** The chart's data: every period of the range (as UTC seconds of its first day), one series per group seen. */
export function chartData(indicator: Indicator): { periods: string[]; xs: number[]; series: Series[] } {
  const measure = indicator.measures.find((m) => m.name === CHART_MEASURE[indicator.id]);
  const at = new Map(indicator.periods.map((p, i) => [p, i]));
  const series = new Map<string, Series>();
  if (measure) {
    for (const row of indicator.rows) {
      const key = indicator.groups.map((g) => row.group[g] ?? '').join('\u0000');
      let s = series.get(key);
      if (!s) {
        s = { group: row.group, values: indicator.periods.map(() => null) };
        series.set(key, s);
      }
      const i = at.get(row.period);
      if (i !== undefined) s.values[i] = cellValue(measure, row.values).value;
    }
  }
  return { periods: indicator.periods, xs: indicator.periods.map((p) => dayNumber(p) * 86_400), series: [...series.values()] };
}

type Translate = (key: Key) => string;
const isKey = (k: string): k is Key => k in TABLES.en;

/** A group's value in the reader's language: programs, reasons, stages and outcomes known to the screen, else in plain words. */
export function groupValueLabel(t: Translate, column: string, value: string): string {
  const own = `ind.value.${value}`;
  if (isKey(own)) return t(own);
  if (column === 'program' || (column === 'detail' && (PROGRAMS as readonly string[]).includes(value))) return responseLabel(t, value);
  if (column === 'detail') return reasonLabel(t, value);
  return value.replace(/_/g, ' ');
}

/** A series' name: its group values, translated, joined. */
export function seriesLabel(t: Translate, groups: readonly string[], group: Record<string, string>): string {
  return groups.map((g) => groupValueLabel(t, g, group[g] ?? '')).join(' · ');
}

/** A column's heading: a group or measure the screen knows, else its name in plain words. */
export function columnLabel(t: Translate, name: string): string {
  const key = `ind.col.${name}`;
  return isKey(key) ? t(key) : name.replace(/_/g, ' ');
}

/** The indicator's title in the reader's language; the server's (English) one for an indicator the screen does not know. */
export function titleOf(t: Translate, id: string, fallback: string): string {
  const key = `ind.title.${id}`;
  return isKey(key) ? t(key) : fallback;
}

/** The baseline's cells as text: counts from 1 to 4 as "<5" and a share made from one left empty, as its CSV does. */
export function baselineText(cell: BaselineCell, lang: 'en' | 'es'): { calls: string; eligible: string; share: string } {
  const locale = lang === 'es' ? 'es-US' : 'en-US';
  const count = (n: number) => (small(n) ? SUPPRESSED : n.toLocaleString(locale));
  const hidden = small(cell.calls) || small(cell.eligible) || cell.eligible_share === null;
  return {
    calls: count(cell.calls),
    eligible: count(cell.eligible),
    share: hidden ? '' : cell.eligible_share!.toLocaleString(locale, { style: 'percent', maximumFractionDigits: 1 }),
  };
}

/** Shades of the heat table: the eligible share in fifths (0 to 4); null for an hour whose share is not shown. */
export const HEAT_LEVELS = 5;
export function heatLevel(cell: BaselineCell): number | null {
  if (small(cell.calls) || small(cell.eligible) || cell.eligible_share === null) return null;
  return Math.min(HEAT_LEVELS - 1, Math.floor(cell.eligible_share * HEAT_LEVELS));
}

export const HOURS_IN_DAY = 24;
/** The 168 hours as 7 rows (Monday first) of 24. */
export function weekRows<T>(hours: readonly T[]): T[][] {
  return Array.from({ length: hours.length / HOURS_IN_DAY }, (_, d) => hours.slice(d * HOURS_IN_DAY, (d + 1) * HOURS_IN_DAY));
}
