/**
 * Reads for the field-log screens (each a Dexie query, opened with the unlocked session's key;
 * locked, there is nothing to read): the unit's kit with this tablet's unsent moves counted in,
 * transfers and alerts on it, harm-reduction entries per call or contact, and the calls surveyed.
 */
import { getSession } from '../crypto/session';
import { kitOnHand, lotKey, type KitLot, type LocalMove } from '../lib/fieldLogs';
import type { RecordTable } from './AppDB';
import { db } from './db';
import type { StoredRow, SyncedRow } from './rows';
import { openRecords } from './vault';

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v));

function opened(table: RecordTable, rows: Promise<StoredRow[]>): Promise<SyncedRow[]> {
  const key = getSession()?.dataKey ?? null;
  return key ? rows.then((r) => openRecords(key, table, r)) : Promise.resolve([]);
}

const all = (table: RecordTable) => opened(table, db().recordTable(table).toArray());

/** Facts made here whose op is still in the outbox. */
async function unsent(table: RecordTable): Promise<SyncedRow[]> {
  const queued = new Set((await db().outbox.orderBy('recordId').keys()).map(String));
  return opened(
    table,
    db()
      .recordTable(table)
      .filter((r) => !!r.local && queued.has(r.id))
      .toArray(),
  );
}

export interface CatalogItem {
  id: number;
  name: string;
  category: string;
  /** GTIN-14 of the item as packed, when the catalog has one (a scan names the item by it). */
  gtin: string | null;
}

export interface TransferLine {
  itemId: number;
  lotId: number | null;
  lotNumber: string;
  expiresOn: string | null;
  quantity: number;
}

export interface Transfer {
  id: string;
  from: string;
  toLocationId: number | null;
  sentAt: string;
  lines: TransferLine[];
  /** "Received" tapped on this tablet, not yet sent. */
  receivedHere: boolean;
}

export interface Alert {
  id: string;
  kind: string;
  itemId: number | null;
  lotId: number | null;
  state: string;
}

export interface Kit {
  items: CatalogItem[];
  lots: KitLot[];
  transfers: Transfer[];
  alerts: Alert[];
  /** Entries, counts and receipts recorded here and not yet sent (counted into `lots`). */
  unsentMoves: number;
}

const itemOf = (r: SyncedRow): CatalogItem => ({
  id: Number(r.rawId),
  name: str(r.clear.name) || str(r.clear.sku),
  category: str(r.clear.category),
  gtin: str(r.clear.gtin) || null,
});

const lotOf = (r: SyncedRow): KitLot => {
  const locationId = num(r.clear.location_id) ?? 0;
  const itemId = num(r.clear.item_id) ?? 0;
  const lotId = num(r.clear.lot_id);
  return { key: lotKey(locationId, itemId, lotId), locationId, itemId, lotId, lotNumber: str(r.clear.lot_number), expiresOn: str(r.clear.expires_on) || null, onHand: num(r.clear.on_hand) ?? 0 };
};

const linesOf = (v: unknown): TransferLine[] =>
  (Array.isArray(v) ? (v as Record<string, unknown>[]) : []).map((l) => ({
    itemId: num(l.item_id) ?? 0,
    lotId: num(l.lot_id),
    lotNumber: str(l.lot_number),
    expiresOn: str(l.expires_on) || null,
    quantity: num(l.quantity) ?? 0,
  }));

/** The unit's kit now: pulled stock, then this tablet's unsent entries (subtracted), counts and receipts. */
export async function kitNow(today: string): Promise<Kit> {
  const [catalog, stock, transferRows, alertRows, entries, counts, receipts] = await Promise.all([
    all('catalog'),
    all('kitStock'),
    all('transfers'),
    all('supplyAlerts'),
    unsent('harmReduction'),
    unsent('kitCounts'),
    unsent('transferReceipts'),
  ]);
  const items = catalog.map(itemOf);
  const receivedIds = new Set(receipts.map((r) => str(r.clear.transfer_id)));
  const transfers: Transfer[] = transferRows
    .filter((r) => str(r.clear.state || 'in_transit') === 'in_transit')
    .map((r) => ({
      id: str(r.rawId),
      from: str(r.clear.from_location_name),
      toLocationId: num(r.clear.to_location_id),
      sentAt: str(r.clear.sent_at),
      lines: linesOf(r.clear.lines),
      receivedHere: receivedIds.has(str(r.rawId)),
    }));
  // Sharps collected name no item: they take nothing from the kit.
  const given = entries.filter((e) => num(e.clear.item_id) !== null);
  const moves: LocalMove[] = [
    ...given.map((e): LocalMove => ({ at: str(e.clear.at), itemId: num(e.clear.item_id)!, lotId: num(e.clear.lot_id), delta: -(num(e.clear.quantity) ?? 0) })),
    ...counts.map((c): LocalMove => ({ at: str(c.clear.at), itemId: num(c.clear.item_id) ?? 0, lotId: num(c.clear.lot_id), locationId: num(c.clear.location_id) ?? undefined, counted: num(c.clear.counted) ?? 0 })),
    ...receipts.flatMap((r) => {
      const t = transfers.find((x) => x.id === str(r.clear.transfer_id));
      return (t?.lines ?? []).map(
        (l): LocalMove => ({ at: str(r.clear.at), itemId: l.itemId, lotId: l.lotId, locationId: t?.toLocationId ?? undefined, delta: l.quantity, lot: { lotNumber: l.lotNumber, expiresOn: l.expiresOn } }),
      );
    }),
  ];
  const alerts = alertRows
    .map((r): Alert => ({ id: str(r.rawId), kind: str(r.clear.kind), itemId: num(r.clear.item_id), lotId: num(r.clear.lot_id), state: str(r.clear.state || 'open') }))
    .filter((a) => a.state !== 'cleared');
  return { items, lots: kitOnHand(stock.map(lotOf), moves, today), transfers, alerts, unsentMoves: given.length + counts.length + receipts.length };
}

/** Harm-reduction entries recorded on a call, or on an outreach contact, oldest first. */
export async function harmReductionFor(target: { callId: string } | { contactId: string }): Promise<SyncedRow[]> {
  const [index, value] = 'callId' in target ? ['callId', target.callId] : ['contactId', target.contactId];
  const rows = await opened('harmReduction', db().harmReduction.where(index).equals(value).toArray());
  return rows.sort((a, b) => str(a.clear.at).localeCompare(str(b.clear.at)) || a.id.localeCompare(b.id));
}

/** Outreach contacts on this tablet (this shift's), newest first. */
export async function listContacts(): Promise<SyncedRow[]> {
  return (await all('contacts')).sort((a, b) => str(b.clear.at).localeCompare(str(a.clear.at)));
}

export const getContact = async (id: string): Promise<SyncedRow | null> => (await opened('contacts', db().contacts.where('id').equals(id).toArray()))[0] ?? null;

/** The survey of a call on this tablet (made here or pulled), if any. */
export const surveyFor = async (callId: string): Promise<SyncedRow | null> => (await opened('surveys', db().surveys.where('callId').equals(callId).toArray()))[0] ?? null;

/**
 * Calls this person has a survey of on this tablet, answered or skipped, made here or pulled from
 * the crew's other tablet (a survey is one per call and person: a partner's answers are theirs).
 */
export async function surveyedCallIds(userId: number | null): Promise<Set<string>> {
  const mine = (await all('surveys')).filter((r) => r.clear.user_id === undefined || r.clear.user_id === null || r.clear.user_id === userId);
  return new Set(mine.map((r) => str(r.clear.call_id)));
}
