/**
 * The supervisor's and dispatcher's board REST calls: units, premises, the basemap, open backup
 * requests (acknowledge, resolve), overdue check-ins, sync entries waiting for review, devices.
 */
import { HttpError, type ApiClient } from './client';
import type { components } from './schema';
import type { Feature } from '../screens/board/projection';

type S = components['schemas'];
/** Every field present: the server dumps each one (its schemas mark none required). */
type Sent<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

export interface Person {
  id: number;
  name: string;
}
export type BackupRequest = Omit<Sent<S['BackupRequest']>, 'acknowledged_by' | 'closed_by' | 'requested_by' | 'position'> & {
  acknowledged_by: Person | null;
  closed_by: Person | null;
  requested_by: Person | null;
  position: Sent<S['Position']> | null;
};
export type BoardUnit = Omit<Sent<S['BoardUnit']>, 'call' | 'position' | 'crew'> & {
  call: Sent<S['BoardCall']> | null;
  position: Sent<S['BoardPosition']> | null;
  crew: Sent<S['CrewMember']>[];
};
export type BoardPremise = Sent<S['BoardPremise']>;
export type Overdue = Sent<S['Overdue']>;
export type Device = S['Device'];
export type RevokeReason = S['Revoke']['reason'];

const list = <T>(answer: unknown): T[] => (Array.isArray(answer) ? (answer as T[]) : []);

export const board = {
  units: async (api: ApiClient) => list<BoardUnit>(await api.send('GET', '/board/units')),
  premises: async (api: ApiClient) => list<BoardPremise>(await api.send('GET', '/board/premises')),
  /** The basemap's features; none when the server has no basemap (404). */
  basemap: async (api: ApiClient): Promise<Feature[]> => {
    try {
      const g = await api.send<{ features?: Feature[] }>('GET', '/board/basemap');
      return Array.isArray(g?.features) ? g.features : [];
    } catch (e) {
      if (e instanceof HttpError && e.status === 404) return [];
      throw e;
    }
  },
  openBackups: async (api: ApiClient) => (await api.send<{ items?: BackupRequest[] }>('GET', '/backups?state=open')).items ?? [],
  acknowledge: (api: ApiClient, id: string) => api.send<BackupRequest>('POST', `/backups/${encodeURIComponent(id)}/acknowledge`, {}),
  resolve: (api: ApiClient, id: string, reason: string) => api.send<BackupRequest>('POST', `/backups/${encodeURIComponent(id)}/resolve`, { reason }),
  overdue: async (api: ApiClient) => (await api.send<{ items?: Overdue[] }>('GET', '/checkins/overdue')).items ?? [],
  review: async (api: ApiClient) => {
    const [rejected, conflicts] = await Promise.all([api.send<unknown>('GET', '/sync/rejected'), api.send<unknown>('GET', '/sync/conflicts')]);
    return { rejected: list(rejected).length, conflicts: list(conflicts).length };
  },
  devices: async (api: ApiClient) => list<Device>(await api.send('GET', '/devices')),
  revoke: (api: ApiClient, id: string, reason: RevokeReason) => api.send<Device>('POST', `/devices/${encodeURIComponent(id)}/revoke`, { reason }),
};
