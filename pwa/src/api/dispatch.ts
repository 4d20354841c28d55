/**
 * The dispatch queue's REST calls: the calls not yet cleared, each with its recommendation and
 * reason, and the dispatcher's acts on one (assign the recommended unit or another with a reason,
 * resolve by phone, decline with a reason code). Each act answers with the call as the queue shows it.
 */
import type { ApiClient } from './client';
import type { components } from './schema';

type S = components['schemas'];
/** Every field present: the server dumps each one (its schemas mark none required). */
type Sent<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

/** A HEART program the triage may recommend, or the next most appropriate response without HEART. */
export type ResponseKind = 'community_response' | 'co_response' | 'crisis_call_diversion' | 'care_navigation' | 'police' | 'ems';

/** The codes a call is declined with (the server's list). */
export type DeclineCode = S['Decline']['reason_code'];
/** Why an eligible call's first program did not take it; the last two are recorded by people afterwards. */
export type ReasonCode = DeclineCode | 'resolved_by_phone';

/**
 * The recommendation: `response` a ResponseKind (one the screen does not know is shown in plain
 * words), `reason_code` a ReasonCode or null when the first program takes the call, `reason` a
 * sentence (in English) from the server, shown as given.
 */
export type Recommendation = Sent<S['Recommendation']>;

/** The queue's fields the screen reads, typed from the server's schema. */
type Read =
  | 'id'
  | 'cad_number'
  | 'call_type'
  | 'call_type_name'
  | 'priority'
  | 'address'
  | 'lat'
  | 'lon'
  | 'received_at'
  | 'status'
  | 'unit_id'
  | 'call_sign'
  | 'weapon'
  | 'violence'
  | 'narrative'
  | 'cad_updated_at'
  | 'eligible'
  | 'eligible_programs'
  | 'unmapped'
  | 'unserved_reason';

export type QueueCall = Pick<Sent<S['QueueCall']>, Read> & {
  source: 'cad' | 'dispatch' | 'import';
  recommendation: Recommendation | null;
  /** Why another unit than the recommended one was sent. */
  override_reason?: string | null;
};

const path = (id: string, act: string) => `/dispatch/calls/${encodeURIComponent(id)}/${act}`;

export const dispatch = {
  queue: async (api: ApiClient): Promise<QueueCall[]> => (await api.send<{ items?: QueueCall[] }>('GET', '/dispatch/queue')).items ?? [],
  /** Sends a unit; `overrideReason` is required by the server when it is not the recommended unit. */
  assign: (api: ApiClient, id: string, unitId: number, overrideReason: string | null) =>
    api.send<QueueCall>('POST', path(id, 'assign'), { unit_id: unitId, override_reason: overrideReason } satisfies S['Assign']),
  resolveByPhone: (api: ApiClient, id: string, note: string) => api.send<QueueCall>('POST', path(id, 'resolve-by-phone'), { note } satisfies S['PhoneResolution']),
  decline: (api: ApiClient, id: string, reasonCode: DeclineCode, note: string | null) =>
    api.send<QueueCall>('POST', path(id, 'decline'), { reason_code: reasonCode, note } satisfies S['Decline']),
};
