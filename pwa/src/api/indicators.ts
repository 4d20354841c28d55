/**
 * The program indicators' REST calls: every indicator's definition, one indicator by period and
 * group for the filters (aggregates only), its CSV export (small cells suppressed by the server),
 * the baseline report of a historical CAD import, and the call types and service areas the
 * filters offer.
 */
import type { ApiClient } from './client';
import type { components } from './schema';

type S = components['schemas'];
/** Every field present: the server dumps each one (its schemas mark none required). */
type Sent<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

export type IndicatorId = 'responses' | 'transports' | 'eligible_served' | 'referrals' | 'response_times' | 'diversion' | 'responder_safety' | 'naloxone';
export type Definition = Sent<S['Definition']> & { id: IndicatorId };
export type Measure = Sent<S['Measure']>;
export type IndicatorRow = Sent<S['Row']>;
export type Indicator = Omit<Sent<S['Indicator']>, 'measures' | 'rows' | 'id'> & { id: IndicatorId; measures: Measure[]; rows: IndicatorRow[] };
export type BaselineCell = Sent<S['BaselineCell']>;
export type Baseline = Omit<Sent<S['Baseline']>, 'total' | 'by_call_type' | 'by_hour_of_week'> & {
  total: BaselineCell;
  by_call_type: Sent<S['BaselineType']>[];
  by_hour_of_week: Sent<S['BaselineHour']>[];
};
export type AreaChoice = Sent<S['Area']>;
export type CallTypeChoice = Pick<Sent<S['CallType']>, 'code' | 'name'>;

const list = <T>(answer: unknown): T[] => (Array.isArray(answer) ? (answer as T[]) : []);

export const indicators = {
  definitions: async (api: ApiClient) => list<Definition>(await api.send('GET', '/indicators')),
  /** One indicator; `query` is the filters' query string (from, to, period, call_type, area). */
  one: (api: ApiClient, id: IndicatorId, query: string) => api.send<Indicator>('GET', `/indicators/${id}?${query}`),
  csv: (api: ApiClient, id: IndicatorId, query: string) => api.download(`/indicators/${id}.csv?${query}`, 'text/csv'),
  /** The baseline report of the imported CAD calls (every one: the dashboard's range is recent weeks). */
  baseline: (api: ApiClient) => api.send<Baseline>('GET', '/indicators/baseline'),
  baselineCsv: (api: ApiClient) => api.download('/indicators/baseline.csv', 'text/csv'),
  areas: async (api: ApiClient) => list<AreaChoice>(await api.send('GET', '/indicators/areas')),
  callTypes: async (api: ApiClient) => list<CallTypeChoice>(await api.send('GET', '/call-types')),
};
