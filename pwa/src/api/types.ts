/**
 * Wire types, derived from the OpenAPI document the server serves (protocol version 2).
 *
 * `schema.d.ts` is generated from the committed snapshot `openapi.json` by
 * `npm run gen:api`; tests/test_openapi_types.py fails when either drifts from the served
 * document. Do not hand-write a wire type that the document carries: alias it here.
 *
 * Two deliberate departures, each checked against the generated type:
 * - `Present<T, K>`: fields the server always sends (sync/PROTOCOL.md) but whose marshmallow
 *   schema does not mark them required, so the document has them optional.
 * - `Narrow<T, N>`: fields the document keeps loose on purpose (free strings documented as a
 *   short list, the per-kind `data` payloads of ops and changes, described in sync/PROTOCOL.md).
 *   `N` must be assignable to the wire type, so a change on the server that breaks a narrowing
 *   fails the typecheck.
 */
import { DEVICE_STATUSES, type PushedKind } from './facts';
import type { components } from './schema';

type Schemas = components['schemas'];

/** `T` with the fields `K` always present. */
type Present<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: Exclude<T[P], undefined> };

/** `T` with the fields of `N` replaced by narrower types (each must fit the wire type). */
type Narrow<T, N extends { [P in keyof N]: P extends keyof T ? T[P] : never }> = Omit<T, keyof N> & N;

/** `U`, which must be a subset of the union `T`. */
type Subset<T, U extends T> = U;

export const PROTOCOL_VERSION = 2;
export const MAX_PUSH_BATCH = 500;

export type Role = Schemas['Me']['role'];

export const FIELD_ROLES: readonly Role[] = ['responder_clinician', 'responder_peer', 'responder_emt', 'cit_officer'];

/** An id as this app keeps it locally (server ids are strings or integers depending on the record). */
export type ServerId = string | number;

/** `/auth/login`'s `user`: the signed-in user, kept with the device's enrolled keys. */
export type SessionUser = Present<Schemas['Me'], 'id' | 'unit_id'>;

export type LoginRequest = Schemas['Login'];

export type LoginResponse = Narrow<Schemas['Tokens'], { user: SessionUser }>;

export type RefreshResponse = Schemas['Refreshed'];

/** The statuses a crew sets from the tablet (the server's call has earlier ones too). */
export type CallStatus = Subset<NonNullable<Schemas['Call']['status']>, (typeof DEVICE_STATUSES)[number]>;
export const CALL_STATUSES: readonly CallStatus[] = DEVICE_STATUSES;

/** REST shapes the document carries; the synced copies arrive as a change's `data`. */
export type Call = Schemas['Call'];
export type Premise = Schemas['Premise'];
export type Conflict = Schemas['Conflict'];
/** How the tablet records its position (GET /settings/field). */
export type FieldSettings = Schemas['FieldSettings'];

export type OpKind = PushedKind;

/**
 * One operation (PROTOCOL.md, "Push") of any kind, as the outbox keeps it: the document's
 * `Operation` is the envelope every kind's op shares (`AnyOperation` is the `oneOf` by `kind`,
 * each kind's data checked by its own schema). The server checks ops one by one, so one bad
 * op is rejected and kept instead of failing the batch.
 */
export type Op = Narrow<Schemas['Operation'], { kind: OpKind | string; base_version: number | null }>;

/** An op's clock reading at capture (PROTOCOL.md, "Clocks"). */
export type ClockReading = Schemas['Clock'];

/** A push; its ops are any kind's (`Op`), each checked by the server against its kind's schema. */
export type PushRequest = Omit<Schemas['Push'], 'ops'> & { ops: Op[] };

/** `outcome` is a free string in the document; PROTOCOL.md lists these. */
export type Outcome = 'applied' | 'merged' | 'conflict' | 'rejected' | 'deferred';

/** A field (`seq`, `data.status`) to its messages; nested under a location for a 4xx body. */
export type FieldErrors = Record<string, string[] | Record<string, string[]>>;

/** One result per op, in order (`id` and `seq` are null for an op that had none readable). */
export type PushResult = Narrow<Present<Schemas['OpResult'], 'id' | 'seq'>, { outcome: Outcome; errors?: FieldErrors }>;

export type PushResponse = Narrow<Present<Schemas['PushResponse'], 'last_seq' | 'server_time'>, { results: PushResult[] }>;

/** `op` is a free string in the document; PROTOCOL.md lists these. */
export type ChangeOp = 'put' | 'delete' | 'remove';

/** One pull change; `data` is the record as its kind describes it (src/db/kinds.ts). */
export type Change = Narrow<Present<Schemas['Change'], 'kind' | 'id'>, { op: ChangeOp }>;

export type PullResponse = Narrow<Present<Schemas['PullResponse'], 'cursor' | 'has_more' | 'server_time'>, { changes: Change[] }>;

/** `action` on a 401 (PROTOCOL.md); the document has it as a free string. */
export type AuthAction = 'refresh' | 'login' | 'wipe' | 'retire';

/** Why a supervisor revoked the tablet: `wipe` answers mean lost, `retire` answers retired. */
export type Revocation = NonNullable<Schemas['Device']['revocation_reason']>;

/** The error envelope of every 4xx/5xx. */
export type ErrorBody = Schemas['Error'];

export type ResolveRequest = Schemas['Resolve'];
