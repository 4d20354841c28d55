/**
 * Care navigation's REST calls (online): resource search by need and distance, referrals with their
 * status course and the next status, follow-ups due and done. Typed from the server's schema.
 */
import type { ApiClient } from './client';
import type { components } from './schema';

type S = components['schemas'];
/** Every field present: the server dumps each one (its schemas mark none required). */
type Sent<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

export type ReferralStatus = S['ReferralStatusIn']['status'];
export type CareResource = Sent<S['Resource']>;
export type ReferralEvent = Sent<S['ReferralEvent']>;
export type Referral = Omit<Sent<S['Referral']>, 'events' | 'resource' | 'status'> & {
  status: ReferralStatus;
  events: ReferralEvent[];
  resource: CareResource | null;
};
export type FollowUp = Sent<S['FollowUp']>;
export type CareCall = Sent<S['CareCall']>;

/** What a resource search asks: words of a need, a language, and a point (or a call's premise) with a radius. */
export interface ResourceQuery {
  need?: string;
  language?: string;
  lat?: number;
  lon?: number;
  callId?: string;
  radiusKm?: number;
}

export function resourceSearchPath(q: ResourceQuery): string {
  const params = new URLSearchParams();
  if (q.need?.trim()) params.set('need', q.need.trim());
  if (q.language?.trim()) params.set('language', q.language.trim());
  if (q.lat !== undefined && q.lon !== undefined) {
    params.set('lat', String(q.lat));
    params.set('lon', String(q.lon));
  }
  if (q.callId) params.set('call_id', q.callId);
  if (q.radiusKm !== undefined) params.set('radius_km', String(q.radiusKm));
  const query = params.toString();
  return `/care/resources${query ? `?${query}` : ''}`;
}

export const care = {
  resources: (api: ApiClient, q: ResourceQuery) => api.send<CareResource[]>('GET', resourceSearchPath(q)),
  referrals: async (api: ApiClient): Promise<Referral[]> => (await api.send<{ items?: Referral[] }>('GET', '/care/referrals')).items ?? [],
  setStatus: (api: ApiClient, id: string, status: ReferralStatus, note: string | null) =>
    api.send<Referral>('POST', `/care/referrals/${encodeURIComponent(id)}/status`, { status, note } satisfies S['ReferralStatusIn']),
  refer: (api: ApiClient, callId: string, resourceId: number, need: string | null) =>
    api.send<Referral>('POST', '/care/referrals', { call_id: callId, resource_id: resourceId, need, note: null } satisfies S['ReferralIn']),
  /** A responder's "referred to community care": to care navigation, no resource chosen yet; the id made on the tablet. */
  referCall: (api: ApiClient, referral: { id: string; callId: string; need: string | null; note: string | null; madeBy: number | null }) =>
    api.send<Referral>('POST', '/care/referrals', {
      id: referral.id,
      call_id: referral.callId,
      resource_id: null,
      need: referral.need,
      note: referral.note,
      made_by: referral.madeBy,
    } satisfies S['ReferralIn']),
  call: (api: ApiClient, id: string) => api.send<CareCall>('GET', `/care/calls/${encodeURIComponent(id)}`),
  followUp: (api: ApiClient, callId: string, referralId: string, dueAt: string, note: string | null) =>
    api.send<FollowUp>('POST', '/care/follow-ups', { call_id: callId, referral_id: referralId, due_at: dueAt, note } satisfies S['FollowUpIn']),
  followUps: async (api: ApiClient): Promise<FollowUp[]> => (await api.send<{ items?: FollowUp[] }>('GET', '/care/follow-ups')).items ?? [],
  done: (api: ApiClient, id: number, outcome: string) => api.send<FollowUp>('POST', `/care/follow-ups/${id}/done`, { outcome } satisfies S['FollowUpDone']),
};
