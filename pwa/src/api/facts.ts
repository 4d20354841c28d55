/**
 * Typed readings of the record kinds' field facts (`fields.ts`, generated from the served
 * OpenAPI document by `npm run gen:api`): the kinds, the call lifecycle, the statuses a crew
 * sets, field lengths, clinical and editable fields. Nothing here restates a fact: it is all
 * read from RECORD_KINDS, so a change on the server reaches the app by regenerating.
 */
import { RECORD_KINDS } from './fields';

type Kinds = typeof RECORD_KINDS;

/** Every kind the server's registry syncs. */
export type RecordKindName = keyof Kinds;

/** Kinds a device pushes ops for (a derived kind has no action). */
export type PushedKind = { [K in RecordKindName]: Kinds[K]['actions'] extends readonly [] ? never : K }[RecordKindName];

/** Append-only kinds: a device creates them once. */
export type FactKind = { [K in RecordKindName]: Kinds[K]['type'] extends 'fact' ? K : never }[RecordKindName];

export type FieldOf<K extends RecordKindName> = keyof Kinds[K]['fields'] & string;

interface FieldFacts {
  readonly type: string;
  readonly clinical: boolean;
  readonly editable: boolean;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly enum?: readonly string[];
}

const fieldsOf = (kind: RecordKindName): Record<string, FieldFacts> => RECORD_KINDS[kind].fields;

export const RECORD_KIND_NAMES = Object.keys(RECORD_KINDS) as RecordKindName[];
export const PUSHED_KINDS = RECORD_KIND_NAMES.filter((k) => RECORD_KINDS[k].actions.length > 0) as PushedKind[];
export const FACT_KINDS = RECORD_KIND_NAMES.filter((k) => RECORD_KINDS[k].type === 'fact') as FactKind[];

/** Fields holding clinical content (the server audits them and shows them to clinical readers only). */
export function clinicalFields<K extends RecordKindName>(kind: K): FieldOf<K>[] {
  return Object.entries(fieldsOf(kind)).flatMap(([name, f]) => (f.clinical ? [name as FieldOf<K>] : []));
}

/** Fields a device sets in an op's data. */
export function editableFields<K extends RecordKindName>(kind: K): FieldOf<K>[] {
  return Object.entries(fieldsOf(kind)).flatMap(([name, f]) => (f.editable ? [name as FieldOf<K>] : []));
}

/** The longest text the server takes in a field (undefined: no limit). */
export function maxLength<K extends RecordKindName>(kind: K, field: FieldOf<K>): number | undefined {
  return fieldsOf(kind)[field]?.maxLength;
}

/** The range the server takes in a number field (an unbounded side is infinite). */
export function numberRange<K extends RecordKindName>(kind: K, field: FieldOf<K>): { min: number; max: number } {
  const f = fieldsOf(kind)[field];
  return { min: f?.minimum ?? -Infinity, max: f?.maximum ?? Infinity };
}

type CallFields = Kinds['call']['fields'];
/** The call fields a crew edits (an update of the call document). */
export type CallEditableField = { [F in keyof CallFields]: CallFields[F]['editable'] extends true ? F : never }[keyof CallFields];
export const CALL_EDITABLE = editableFields('call') as CallEditableField[];

/** The call lifecycle, earliest first: a later state never gives way to an earlier one. */
export const CALL_LIFECYCLE = RECORD_KINDS.call.lifecycle.states;

/** The statuses a crew sets from the tablet (dispatch sets the earlier ones). */
export const DEVICE_STATUSES = RECORD_KINDS.call_status.fields.status.enum;
