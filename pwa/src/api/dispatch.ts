/**
 * The dispatch queue's REST calls: the calls not yet cleared, each with its recommendation and
 * reason, and the dispatcher's acts on one (assign the recommended unit or another with a reason,
 * resolve by phone, decline with a reason code). Each act answers with the call as the queue shows it.
 */
import type { ApiClient } from './client';

/** A HEART program the triage may recommend, or the next most appropriate response without HEART. */
export type ResponseKind = 'community_response' | 'co_response' | 'crisis_call_diversion' | 'care_navigation' | 'police' | 'ems';

/** Why an eligible call's first program did not take it; the last two are recorded by people afterwards. */
export type ReasonCode =
  | 'no_unit_on_shift'
  | 'all_busy'
  | 'outside_service_area'
  | 'outside_hours'
  | 'safety'
  | 'invalid_crew'
  | 'no_location'
  | 'declined_by_team'
  | 'resolved_by_phone';

export interface Recommendation {
  /** A ResponseKind; one the screen does not know is shown in plain words. */
  response: string;
  unit_id: number | null;
  call_sign: string | null;
  distance_m: number | null;
  /** A ReasonCode, or null when the first program takes the call. */
  reason_code: string | null;
  /** A sentence (in English) from the server, shown as given. */
  reason: string;
}

export interface QueueCall {
  id: string;
  cad_number: string;
  /** The call type's code. */
  call_type: string;
  call_type_name: string;
  priority: number;
  address: string;
  lat: number | null;
  lon: number | null;
  received_at: string;
  status: string;
  unit_id: number | null;
  call_sign: string | null;
  source: 'cad' | 'dispatch' | 'import';
  weapon: boolean;
  violence: boolean;
  narrative: string;
  cad_updated_at: string | null;
  eligible: boolean;
  eligible_programs: string[];
  /** The CAD's call type is not in the eligibility table. */
  unmapped: boolean;
  recommendation: Recommendation | null;
  unserved_reason: string | null;
  /** Why another unit than the recommended one was sent (older servers leave it out). */
  override_reason?: string | null;
}

const path = (id: string, act: string) => `/dispatch/calls/${encodeURIComponent(id)}/${act}`;

export const dispatch = {
  queue: async (api: ApiClient): Promise<QueueCall[]> => (await api.send<{ items?: QueueCall[] }>('GET', '/dispatch/queue')).items ?? [],
  /** Sends a unit; `overrideReason` is required by the server when it is not the recommended unit. */
  assign: (api: ApiClient, id: string, unitId: number, overrideReason: string | null) =>
    api.send<QueueCall>('POST', path(id, 'assign'), { unit_id: unitId, override_reason: overrideReason }),
  resolveByPhone: (api: ApiClient, id: string, note: string) => api.send<QueueCall>('POST', path(id, 'resolve-by-phone'), { note }),
  decline: (api: ApiClient, id: string, reasonCode: ReasonCode, note: string | null) =>
    api.send<QueueCall>('POST', path(id, 'decline'), { reason_code: reasonCode, note }),
};
