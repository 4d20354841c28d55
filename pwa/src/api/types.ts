/** Wire types, hand-written from sync/PROTOCOL.md (protocol version 2). */

export const PROTOCOL_VERSION = 2;
export const MAX_PUSH_BATCH = 500;

export type Role =
  | 'responder_clinician'
  | 'responder_peer'
  | 'responder_emt'
  | 'cit_officer'
  | 'dispatcher'
  | 'diversion_clinician'
  | 'supervisor'
  | 'supply_manager'
  | 'care_navigator'
  | 'program_lead'
  | 'admin';

export const FIELD_ROLES: readonly Role[] = ['responder_clinician', 'responder_peer', 'responder_emt', 'cit_officer'];

export type ServerId = string | number;

export interface SessionUser {
  id: ServerId;
  username: string;
  full_name: string;
  role: Role;
  unit_id: ServerId | null;
}

export interface LoginRequest {
  username: string;
  password: string;
  device_id?: string;
  device_name?: string;
}

export interface LoginResponse {
  access_token: string;
  refresh_token: string;
  access_expires_in: number;
  device_id: string;
  user: SessionUser;
}

export interface RefreshResponse {
  access_token: string;
  access_expires_in: number;
}

export type CallStatus = 'en_route' | 'on_scene' | 'transporting' | 'cleared';
export const CALL_STATUSES: readonly CallStatus[] = ['en_route', 'on_scene', 'transporting', 'cleared'];

export type OpKind = 'call_status' | 'call_note' | 'location_point' | 'call';
export type OpAction = 'create' | 'update';

export interface Op {
  id: string;
  seq: number;
  hlc: string;
  kind: OpKind | string;
  action: OpAction | string;
  record_id: string;
  base_version: number | null;
  device_time: string;
  data: Record<string, unknown>;
}

export interface PushRequest {
  protocol_version: number;
  device_time: string;
  ops: Op[];
}

export type Outcome = 'applied' | 'merged' | 'conflict' | 'rejected' | 'deferred';

export type FieldErrors = Record<string, string[] | Record<string, string[]>>;

export interface PushResult {
  id: string;
  seq: number;
  outcome: Outcome;
  record_id?: string | null;
  version?: number | null;
  errors?: FieldErrors | null;
  conflict_ids?: ServerId[] | null;
  replayed?: boolean;
  message?: string | null;
  record?: Record<string, unknown> | null;
}

export interface PushResponse {
  results: PushResult[];
  last_seq: number;
  server_time: string;
  skew_ms?: number;
}

export type ChangeOp = 'put' | 'delete' | 'remove';

export interface Change {
  kind: string;
  id: ServerId;
  op: ChangeOp;
  version?: number | null;
  data?: Record<string, unknown> | null;
}

export interface PullResponse {
  changes: Change[];
  cursor: string;
  has_more: boolean;
  total?: number | null;
  server_time: string;
}

export type AuthAction = 'refresh' | 'login' | 'wipe';

export interface ErrorBody {
  code?: number;
  status?: string;
  message?: string;
  errors?: Record<string, unknown>;
  action?: AuthAction | 'resync' | string;
}

export interface ResolveRequest {
  choice: 'server' | 'device' | 'value';
  value?: unknown;
}
