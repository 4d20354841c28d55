/**
 * The administration desk's REST calls: people and their logins, shifts and their crews, the CAD's
 * call-type codes waiting to be mapped, and the disposition list. Online only.
 */
import type { DispositionEntry } from '../lib/dispositions';
import type { ApiClient } from './client';
import type { components } from './schema';

type S = components['schemas'];
/** Every field present: the server dumps each one (its schemas mark none required). */
type Sent<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

export type Person = Sent<S['User']>;
export type NewPerson = S['NewUser'];
export type PersonChange = S['UserPatch'];
export type Shift = Sent<S['Shift']>;
export type ShiftIn = S['ShiftIn'];
export type Unit = Sent<S['Unit']>;
export type CadCode = Sent<S['CadCode']>;
export type CallType = Sent<S['CallType']>;
export type NewDisposition = S['Disposition'];
export type DispositionChange = S['DispositionPatch'];

export const people = {
  list: (api: ApiClient) => api.send<Person[]>('GET', '/users'),
  create: (api: ApiClient, body: NewPerson) => api.send<Person>('POST', '/users', body),
  change: (api: ApiClient, id: number, body: PersonChange) => api.send<Person>('PATCH', `/users/${id}`, body),
};

export const rosters = {
  units: (api: ApiClient) => api.send<Unit[]>('GET', '/units'),
  /** Shifts that have not ended yet. */
  upcoming: async (api: ApiClient, now: Date) =>
    (await api.send<{ items?: Shift[] }>('GET', `/shifts?${new URLSearchParams({ starts_after: now.toISOString() })}`)).items ?? [],
  /** The service areas a shift may cover. */
  areas: (api: ApiClient) => api.send<Sent<S['ServiceArea']>[]>('GET', '/service-areas'),
  create: (api: ApiClient, body: ShiftIn) => api.send<Shift>('POST', '/shifts', body),
  remove: (api: ApiClient, id: number) => api.send<unknown>('DELETE', `/shifts/${id}`),
};

export const callTypes = {
  list: (api: ApiClient) => api.send<CallType[]>('GET', '/call-types'),
  unmapped: async (api: ApiClient) => (await api.send<{ items?: CadCode[] }>('GET', '/cad/call-types/unmapped')).items ?? [],
  map: (api: ApiClient, id: number, callType: string) =>
    api.send<Sent<S['CadCodeMapped']>>('PUT', `/cad/call-types/${id}`, { call_type: callType } satisfies S['CadCodeMap']),
};

export const dispositions = {
  list: (api: ApiClient) => api.send<DispositionEntry[]>('GET', '/dispositions'),
  create: (api: ApiClient, body: NewDisposition) => api.send<DispositionEntry>('POST', '/dispositions', body),
  change: (api: ApiClient, id: number, body: DispositionChange) => api.send<DispositionEntry>('PATCH', `/dispositions/${id}`, body),
};
