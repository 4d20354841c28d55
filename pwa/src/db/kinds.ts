/**
 * Registry of record kinds that arrive in a pull: which table, which data fields stay in clear
 * (a whitelist of ids: every other field, including one a later server version adds, is sealed),
 * which index fields to extract, and which fields the opened row gets for the screens.
 * A new kind is one entry here and a table; the engine does not change. Every kind the server
 * syncs (RECORD_KINDS, generated from its OpenAPI document) must have one: the type says so.
 */
import type { RecordKindName } from '../api/facts';
import type { RecordTable } from './AppDB';

export interface KindSpec {
  table: RecordTable;
  /** Data fields stored in clear: ids only, never anything that tells about a person or a place. */
  clear: readonly string[];
  /** Clear index columns of the stored row (ids). */
  index?: (data: Record<string, unknown>) => Record<string, unknown>;
  /** Fields of the opened row computed from its data (sort keys, kept out of the stored row). */
  view?: (data: Record<string, unknown>) => Record<string, unknown>;
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const byCall = (d: Record<string, unknown>) => ({ callId: str(d.call_id) });
/** A call without a priority sorts after every real one (1 is the highest). */
const NO_PRIORITY = 9;

/** Pull-only kinds (premises, supplies, conflicts) besides the synced ones. */
export const KINDS: Record<RecordKindName, KindSpec> & Record<string, KindSpec> = {
  call: {
    table: 'calls',
    clear: ['id'],
    view: (d) => ({
      priority: typeof d.priority === 'number' ? d.priority : Number(d.priority ?? NO_PRIORITY) || NO_PRIORITY,
      receivedAt: str(d.received_at ?? d.created_at),
    }),
  },
  premise: { table: 'premises', clear: ['id'] },
  call_status: { table: 'statusEvents', clear: ['id', 'call_id'], index: byCall },
  call_note: { table: 'notes', clear: ['id', 'call_id'], index: byCall },
  location_point: { table: 'locationPoints', clear: ['id'] },
  supply_item: { table: 'catalog', clear: ['id'] },
  kit_stock: { table: 'kitStock', clear: ['id'] },
  conflict: { table: 'conflicts', clear: ['id', 'call_id', 'record_id'] },
  harm_reduction_entry: {
    table: 'harmReduction',
    clear: ['id', 'call_id', 'contact_id'],
    index: (d) => ({ callId: str(d.call_id), contactId: str(d.contact_id) }),
  },
  outreach_contact: { table: 'contacts', clear: ['id'] },
  kit_count: { table: 'kitCounts', clear: ['id', 'location_id', 'item_id', 'lot_id'] },
  transfer_receipt: { table: 'transferReceipts', clear: ['id', 'transfer_id'] },
  post_call_survey: { table: 'surveys', clear: ['id', 'call_id'], index: byCall },
  supply_transfer: { table: 'transfers', clear: ['id'] },
  supply_alert: { table: 'supplyAlerts', clear: ['id'] },
};

/** The spec of each table, for reading and resealing rows. */
export const TABLE_KINDS = Object.fromEntries(Object.values(KINDS).map((s) => [s.table, s])) as Record<RecordTable, KindSpec>;
