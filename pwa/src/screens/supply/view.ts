/**
 * Pure helpers of the supply manager's screens: stock rows grouped per item with their lots, expiry marks,
 * a server's 422 field messages by field, quantities typed into a field, the report's file name.
 */
import { HttpError, NetworkError, type ApiClient } from '../../api/client';
import type { FieldErrors } from '../../api/types';
import type { CatalogItem, ParLevel, StockLocation, StockRow } from '../../api/supplies';
import type { Gs1Data } from '../../lib/gs1';

/** A location's name: the one the server sent along, else the one in the list of locations, else its id. */
export function locationName(locations: readonly StockLocation[], id: number, name?: string): string {
  return name ?? locations.find((l) => l.id === id)?.name ?? String(id);
}

/** A lot is marked "expires soon" this many days ahead: the window of the server's near-expiry alerts (its default). */
export const NEAR_EXPIRY_DAYS = 30;
const DAY_MS = 86_400_000;

export type ExpiryState = 'expired' | 'near' | 'ok' | 'none';

/** Whether a lot is past its expiry date (expired on the day after it), within NEAR_EXPIRY_DAYS, or fine. */
export function expiryState(expiresOn: string | null | undefined, today: Date): ExpiryState {
  if (!expiresOn) return 'none';
  const end = Date.parse(`${expiresOn}T00:00:00Z`);
  if (Number.isNaN(end)) return 'none';
  const day = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  if (end < day) return 'expired';
  return end - day <= NEAR_EXPIRY_DAYS * DAY_MS ? 'near' : 'ok';
}

export interface ItemStock {
  key: string;
  locationId: number;
  locationName: string;
  itemId: number;
  itemName: string;
  sku: string;
  onHand: number;
  par: number | null;
  /** On hand below the par level set for this location and item. */
  low: boolean;
  /** The worst mark among lots that still hold stock. */
  expiry: ExpiryState;
  /** First expiry first (the order to use them in), lots without a date last. */
  lots: StockRow[];
}

const EXPIRY_RANK: Record<ExpiryState, number> = { expired: 3, near: 2, ok: 1, none: 0 };

/** Stock rows (one per location and lot) as one line per location and item, with its lots. */
export function groupStock(rows: readonly StockRow[], pars: readonly ParLevel[], today: Date): ItemStock[] {
  const parOf = new Map(pars.map((p) => [`${p.location_id}:${p.item_id}`, p.par]));
  const groups = new Map<string, ItemStock>();
  for (const r of rows) {
    const key = `${r.location_id}:${r.item_id}`;
    let g = groups.get(key);
    if (!g) {
      const par = parOf.get(key) ?? null;
      g = { key, locationId: r.location_id, locationName: r.location_name, itemId: r.item_id, itemName: r.item_name, sku: r.sku, onHand: 0, par, low: false, expiry: 'none', lots: [] };
      groups.set(key, g);
    }
    g.onHand += r.on_hand;
    g.lots.push(r);
    const state = r.on_hand > 0 ? expiryState(r.expires_on, today) : 'none';
    if (EXPIRY_RANK[state] > EXPIRY_RANK[g.expiry]) g.expiry = state;
  }
  const out = [...groups.values()];
  for (const g of out) {
    g.low = g.par !== null && g.onHand < g.par;
    g.lots.sort((a, b) => (a.expires_on ?? '9999-12-31').localeCompare(b.expires_on ?? '9999-12-31') || a.lot_number.localeCompare(b.lot_number));
  }
  return out.sort((a, b) => a.locationName.localeCompare(b.locationName) || a.itemName.localeCompare(b.itemName));
}

/**
 * A 4xx body's field messages by field path ("quantity", "lines.0.counted"), the request location ("json",
 * "query") left out; messages of one field joined. Errors without fields land under "" (the form's own line).
 */
export function fieldErrors(errors: FieldErrors | Record<string, unknown> | null | undefined, message?: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (value: unknown, path: string[]): void => {
    if (Array.isArray(value)) {
      if (value.every((v) => typeof v === 'string')) out[path.join('.')] = value.join(' ');
      else value.forEach((v, i) => walk(v, [...path, String(i)]));
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, path.length === 0 && LOCATIONS.has(k) ? [] : [...path, k]);
    } else if (typeof value === 'string') out[path.join('.')] = value;
  };
  walk(errors ?? {}, []);
  if (Object.keys(out).length === 0 && message) out[''] = message;
  return out;
}
const LOCATIONS = new Set(['json', 'query', 'form', 'path', 'headers']);

/** A screen's REST read, given the signed-in client. */
export type Loader<T> = (client: ApiClient) => Promise<T>;

export type Failure = { kind: 'offline' } | { kind: 'fields'; fields: Record<string, string> } | { kind: 'failed'; message: string };

/** What a screen shows for a failed call: offline, field messages beside the fields, or the server's message. */
export function failure(e: unknown): Failure {
  if (e instanceof NetworkError) return { kind: 'offline' };
  if (e instanceof HttpError && e.status < 500) {
    const errors = (e.body?.errors ?? null) as FieldErrors | null;
    return { kind: 'fields', fields: fieldErrors(errors, e.body?.message ?? e.message) };
  }
  return { kind: 'failed', message: e instanceof Error ? e.message : String(e) };
}

/** A whole number typed into a quantity field, at least `min`; null otherwise (empty, 2.5, -1, "abc"). */
export function wholeNumber(text: string, min = 1): number | null {
  const s = text.trim();
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) && n >= min ? n : null;
}

/** The saved report's name, dated in the manager's own calendar day. */
export function reorderFileName(now: Date): string {
  const d = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
  return `reorder-report-${d}.csv`;
}

/** A line of a count: a lot the location holds, or one scanned there that it does not hold yet. */
export interface CountRow {
  key: string;
  lotId: number | null;
  /** The scanned code, sent in place of a lot id for a lot the location does not hold. */
  gs1: string | null;
  itemId: number | null;
  gtin: string | null;
  itemName: string;
  lotNumber: string;
  expiresOn: string | null;
  expected: number | null;
}

/** One line per lot held at the location, what the ledger expects beside it. */
export function countRows(stock: readonly StockRow[]): CountRow[] {
  return stock.map((s) => ({
    key: `lot:${s.lot_id}`,
    lotId: s.lot_id,
    gs1: null,
    itemId: s.item_id,
    gtin: null,
    itemName: s.item_name,
    lotNumber: s.lot_number,
    expiresOn: s.expires_on,
    expected: s.on_hand,
  }));
}

/** The line a scan names: same lot of the same item (its GTIN in the catalog, or scanned before). */
export function countRowFor(rows: readonly CountRow[], scan: Gs1Data, catalog: readonly CatalogItem[]): CountRow | null {
  const item = catalog.find((c) => c.gtin === scan.gtin);
  const lot = scan.lotNumber ?? '';
  return rows.find((r) => r.lotNumber === lot && ((item !== undefined && r.itemId === item.id) || r.gtin === scan.gtin)) ?? null;
}

/** A new line for a scanned lot the location does not hold: counted by its code. */
export function scannedRow(code: string, scan: Gs1Data, catalog: readonly CatalogItem[]): CountRow {
  const item = catalog.find((c) => c.gtin === scan.gtin);
  return {
    key: `gs1:${scan.gtin}:${scan.lotNumber ?? ''}`,
    lotId: null,
    gs1: code.trim(),
    itemId: item?.id ?? null,
    gtin: scan.gtin,
    itemName: item?.name ?? scan.gtin,
    lotNumber: scan.lotNumber ?? '',
    expiresOn: scan.expiresOn,
    expected: null,
  };
}
