/**
 * The supervisor's REST calls for the debrief queue (/api/v1/debriefs) and the flagged field logs
 * (/api/v1/field-logs/flagged): online, signed in, one function per route.
 */
import type { ApiClient } from './client';
import type { components } from './schema';

type S = components['schemas'];
/** Every field present: the server dumps each one (its schemas mark none required). */
type Sent<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

export type Debrief = Sent<S['Debrief']>;
export type DebriefState = Debrief['state'];
export type FlaggedLog = Sent<S['Flagged']>;

const list = <T>(answer: unknown): T[] => (Array.isArray(answer) ? (answer as T[]) : []);

export const debriefs = {
  list: async (api: ApiClient, state: DebriefState) => list<Debrief>(await api.send('GET', `/debriefs?state=${encodeURIComponent(state)}`)),
  done: (api: ApiClient, debriefId: string, note: string | null) =>
    api.send<Debrief>('POST', `/debriefs/${encodeURIComponent(debriefId)}/done`, { note }),
  flagged: async (api: ApiClient) => list<FlaggedLog>(await api.send('GET', '/field-logs/flagged')),
};
