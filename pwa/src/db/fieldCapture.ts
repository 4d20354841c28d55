/**
 * Captures of the field logs: outreach contacts, harm-reduction entries, kit counts, transfer
 * receipts and post-call surveys. Each is one fact written with its outbox op in one rw
 * transaction (db/capture.ts `capture`), works offline and locked or not as the call screen does.
 * Nothing here takes a name of the person served: the kinds have no such field.
 */
import { maxLength, numberRange } from '../api/facts';
import type { OpKind, Op, ServerId } from '../api/types';
import { estimatedNow, wallNow } from '../lib/deviceClock';
import {
  HR_CATEGORIES,
  NALOXONE_RESPONSES,
  NALOXONE_ROUTES,
  SHARPS_DISPOSALS,
  YES_NO,
  fefoLot,
  itemCategoryOf,
  type HrCategory,
  type NaloxoneResponse,
  type NaloxoneRoute,
  type SharpsDisposal,
} from '../lib/fieldLogs';
import { uuidv7 } from '../lib/uuidv7';
import { author, capture, check, factRow } from './capture';
import { db } from './db';
import { kitNow } from './fieldQueries';
import { KINDS } from './kinds';
import type { SealKey } from './vault';

/** Longest texts the server takes (the kinds' field specs). */
export const PLACE_MAX_CHARS = maxLength('outreach_contact', 'place') ?? Infinity;
export const SHARPS_WHERE_MAX_CHARS = maxLength('harm_reduction_entry', 'sharps_where') ?? Infinity;
export const POLICE_REASON_MAX_CHARS = maxLength('post_call_survey', 'police_reason') ?? Infinity;
export const SURVEY_COMMENT_MAX_CHARS = maxLength('post_call_survey', 'comment') ?? Infinity;
export const SKIP_REASON_MAX_CHARS = maxLength('post_call_survey', 'skipped_reason') ?? Infinity;
/** The most of one item an entry takes, and the most a count says (the server's bounds). */
export const QUANTITY = numberRange('harm_reduction_entry', 'quantity');
export const COUNTED = numberRange('kit_count', 'counted');

type FieldKind = Extract<OpKind, 'outreach_contact' | 'harm_reduction_entry' | 'kit_count' | 'transfer_receipt' | 'post_call_survey'>;

/** One fact of `kind`: its local row (with author and time) and its op, in one transaction. */
async function recordFact(key: SealKey, kind: FieldKind, data: Record<string, unknown>): Promise<Op> {
  const recordId = uuidv7(wallNow());
  const row = await factRow(key, kind, recordId, { ...data, ...author(), id: recordId, at: new Date(estimatedNow()).toISOString() });
  const table = KINDS[kind].table;
  return capture(key, { kind, action: 'create', recordId, baseVersion: null, data }, table, () => db().recordTable(table).put(row));
}

const inRange = (at: string, n: number, { min, max }: { min: number; max: number }): Record<string, string[]> =>
  Number.isInteger(n) && n >= min && n <= max ? {} : { [at]: [`a whole number from ${min} to ${max}`] };

/** `at`: where the field is named in the error (`data.place`, `items.0.route`). */
const tooLong = (at: string, value: string | undefined, max: number): Record<string, string[]> =>
  value !== undefined && value.length > max ? { [at]: [`at most ${max} characters`] } : {};

const oneOf = (at: string, value: string | undefined, choices: readonly string[]): Record<string, string[]> =>
  value !== undefined && !choices.includes(value) ? { [at]: [`one of ${choices.join(', ')}`] } : {};

/** Leaves out the fields not given. */
const given = (d: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined && v !== ''));

export interface ContactInput {
  lat?: number;
  lon?: number;
  place?: string;
  note?: string;
}

/** An outreach contact without a call (the position when the tablet knows it). Returns the op; its record_id is the contact's id. */
export async function recordOutreachContact(key: SealKey, input: ContactInput): Promise<Op> {
  check(tooLong('data.place', input.place, PLACE_MAX_CHARS));
  return recordFact(key, 'outreach_contact', given({ ...input }));
}

export interface HrItem {
  category: HrCategory;
  quantity: number;
  route?: NaloxoneRoute;
  response?: NaloxoneResponse;
  sharpsWhere?: string;
  sharpsDisposal?: SharpsDisposal;
}

/** Where the entries belong: a call, or an outreach contact. */
export type HrTarget = { callId: ServerId } | { contactId: string };

function itemErrors(i: number, item: HrItem): Record<string, string[]> {
  const at = (f: string) => `items.${i}.${f}`;
  const errors: Record<string, string[]> = {
    ...(HR_CATEGORIES.includes(item.category) ? {} : { [at('category')]: ['unknown category'] }),
    ...inRange(at('quantity'), item.quantity, QUANTITY),
    ...oneOf(at('route'), item.route, NALOXONE_ROUTES),
    ...oneOf(at('response'), item.response, NALOXONE_RESPONSES),
    ...oneOf(at('sharps_disposal'), item.sharpsDisposal, SHARPS_DISPOSALS),
    ...tooLong(at('sharps_where'), item.sharpsWhere, SHARPS_WHERE_MAX_CHARS),
  };
  if (item.category === 'naloxone_administered') {
    if (!item.route) errors[at('route')] = ['required for naloxone administered'];
    if (!item.response) errors[at('response')] = ['required for naloxone administered'];
  } else if (item.route || item.response) errors[at('route')] = ['only for naloxone administered'];
  if (item.category !== 'sharps_collected' && (item.sharpsWhere || item.sharpsDisposal)) errors[at('sharps_disposal')] = ['only for sharps collected'];
  return errors;
}

/**
 * "Save" on the harm-reduction log: one harm_reduction_entry per item, each from the catalog item
 * of its category and the kit's first-expiry lot as this tablet knows it (the server picks them
 * when the tablet does not know).
 */
export async function recordHarmReduction(key: SealKey, target: HrTarget, items: readonly HrItem[], today: string): Promise<Op[]> {
  check(Object.assign({}, ...items.map((item, i) => itemErrors(i, item)), items.length ? {} : { items: ['nothing to record'] }));
  const kit = await kitNow(today);
  const ops: Op[] = [];
  for (const item of items) {
    const category = itemCategoryOf(item.category);
    const catalogItem = category ? kit.items.find((c) => c.category === category) : undefined;
    const lot = catalogItem ? fefoLot(kit.lots, catalogItem.id, today) : null;
    const data = given({
      ...('callId' in target ? { call_id: target.callId } : { contact_id: target.contactId }),
      category: item.category,
      quantity: item.quantity,
      item_id: catalogItem?.id,
      lot_id: lot?.lotId ?? undefined,
      route: item.route,
      response: item.response,
      sharps_where: item.sharpsWhere?.trim(),
      sharps_disposal: item.sharpsDisposal,
    });
    ops.push(await recordFact(key, 'harm_reduction_entry', data));
  }
  return ops;
}

export interface CountLine {
  locationId: number;
  itemId: number;
  lotId: number | null;
  counted: number;
}

/** "Count the kit": one kit_count per lot, all sharing one count_id. */
export async function recordKitCount(key: SealKey, lines: readonly CountLine[]): Promise<Op[]> {
  check(
    Object.assign(
      {},
      lines.length ? {} : { lines: ['nothing counted'] },
      ...lines.map((l, i) => inRange(`lines.${i}.counted`, l.counted, COUNTED)),
    ),
  );
  const countId = uuidv7(wallNow());
  const ops: Op[] = [];
  for (const l of lines) {
    ops.push(await recordFact(key, 'kit_count', given({ count_id: countId, location_id: l.locationId, item_id: l.itemId, lot_id: l.lotId ?? undefined, counted: l.counted })));
  }
  return ops;
}

/** "Received" on a transfer in transit to the unit's kit. */
export function recordTransferReceipt(key: SealKey, transferId: string): Promise<Op> {
  return recordFact(key, 'transfer_receipt', { transfer_id: transferId });
}

export interface SurveyAnswers {
  felt_safe: (typeof YES_NO)[number];
  police_requested: (typeof YES_NO)[number];
  police_reason?: string;
  debrief_wanted: (typeof YES_NO)[number];
  comment?: string;
}

/** The post-call survey, answered, or skipped with a reason (`{ skipped_reason }`). */
export async function recordSurvey(key: SealKey, callId: ServerId, answers: SurveyAnswers | { skipped_reason: string }): Promise<Op> {
  if ('skipped_reason' in answers) {
    const reason = answers.skipped_reason.trim();
    check({ ...(reason ? {} : { 'data.skipped_reason': ['say why'] }), ...tooLong('data.skipped_reason', reason, SKIP_REASON_MAX_CHARS) });
    return recordFact(key, 'post_call_survey', { call_id: callId, skipped_reason: reason });
  }
  const reason = answers.police_requested === 'yes' ? answers.police_reason?.trim() : undefined;
  check({
    ...oneOf('data.felt_safe', answers.felt_safe ?? '', YES_NO),
    ...oneOf('data.police_requested', answers.police_requested ?? '', YES_NO),
    ...oneOf('data.debrief_wanted', answers.debrief_wanted ?? '', YES_NO),
    ...tooLong('data.police_reason', reason, POLICE_REASON_MAX_CHARS),
    ...tooLong('data.comment', answers.comment, SURVEY_COMMENT_MAX_CHARS),
  });
  return recordFact(
    key,
    'post_call_survey',
    given({ call_id: callId, felt_safe: answers.felt_safe, police_requested: answers.police_requested, police_reason: reason, debrief_wanted: answers.debrief_wanted, comment: answers.comment?.trim() }),
  );
}
