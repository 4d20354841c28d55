/**
 * The supply manager's REST calls (/api/v1/supplies/*): online, signed in, one function per route.
 * Shapes follow the supplies contract; the screens never build a URL themselves.
 */
import type { ApiClient } from './client';

export type LocationKind = 'warehouse' | 'vehicle_kit';

export interface StockLocation {
  id: number;
  name: string;
  kind: LocationKind;
  unit_id?: number | null;
}

export interface CatalogItem {
  id: number;
  sku: string;
  name: string;
  category?: string | null;
  unit_of_measure?: string | null;
  pack_size?: number | null;
  gtin?: string | null;
}

export interface StockRow {
  location_id: number;
  location_name: string;
  item_id: number;
  item_name: string;
  sku: string;
  lot_id: number;
  lot_number: string;
  expires_on: string | null;
  on_hand: number;
}

export type LedgerReason = 'receive' | 'transfer_out' | 'transfer_in' | 'distribute' | 'administer' | 'expire' | 'damage' | 'count_adjust';

export interface StockCardEntry {
  id: number | string;
  at: string;
  reason: LedgerReason;
  lot_number: string | null;
  delta: number;
  balance_after: number;
  user_name: string | null;
  device_name: string | null;
}

export interface StockCard {
  balance: number;
  entries: StockCardEntry[];
}

export interface Gs1Parsed {
  gtin: string;
  lot_number: string | null;
  expires_on: string | null;
  serial?: string | null;
  item?: Pick<CatalogItem, 'id' | 'sku' | 'name' | 'pack_size' | 'unit_of_measure'> | null;
}

/** A received quantity counts packs (times the item's pack size) or units of measure. */
export type QuantityIn = 'packs' | 'units';

export type ReceiptRequest = { location_id: number; quantity: number; quantity_in: QuantityIn } & (
  | { gs1: string }
  | { item_id: number; lot_number: string; expires_on: string | null }
);

export interface ReceiptResult {
  location_id: number;
  item_id: number;
  lot_id: number;
  lot_number: string;
  expires_on: string | null;
  /** Units of measure added to stock. */
  units: number;
  /** The lot's stock at the location afterwards. */
  on_hand: number;
}

export interface TransferLine {
  item_id: number;
  lot_id?: number | null;
  quantity: number;
  lot_number?: string | null;
  expires_on?: string | null;
  item_name?: string | null;
}

export type TransferState = 'in_transit' | 'received' | 'cancelled';

export interface Transfer {
  id: string;
  from_location_id: number;
  to_location_id: number;
  from_location_name?: string;
  to_location_name?: string;
  state: TransferState;
  sent_at: string;
  sent_by?: string | number | null;
  received_at?: string | null;
  lines: TransferLine[];
}

export interface TransferRequest {
  from_location_id: number;
  to_location_id: number;
  lines: { item_id: number; lot_id?: number; quantity: number }[];
}

export type CountLine = { counted: number } & ({ lot_id: number } | { gs1: string });

export interface CountAdjustment {
  lot_id: number;
  lot_number: string;
  item_id: number;
  on_hand_before: number;
  counted: number;
  delta: number;
}

export interface Discrepancy {
  id: number | string;
  location_id: number;
  location_name?: string;
  lot_id: number;
  lot_number?: string;
  item_id: number;
  item_name?: string;
  on_hand_when_found: number;
  on_hand?: number;
  state: 'open' | 'resolved';
  opened_at: string;
  resolved_at?: string | null;
  resolution?: string | null;
}

export type AlertKind = 'low_stock' | 'near_expiry' | 'expired';

export interface SupplyAlert {
  id: number | string;
  kind: AlertKind;
  location_id: number;
  location_name?: string;
  item_id: number;
  item_name?: string;
  lot_id?: number | null;
  lot_number?: string | null;
  expires_on?: string | null;
  on_hand?: number | null;
  par?: number | null;
  state: 'open' | 'acknowledged' | 'cleared';
  first_seen: string;
  last_seen: string;
}

export interface ParLevel {
  location_id: number;
  item_id: number;
  par: number;
  location_name?: string;
  item_name?: string;
}

export interface ReorderRow {
  location_id: number;
  location_name: string;
  item_id: number;
  item_name: string;
  sku?: string;
  unit_of_measure?: string;
  pack_size?: number;
  on_hand: number;
  par: number;
  used_30d: number;
  /** Units, in whole packs. */
  suggested_order: number;
  suggested_packs?: number;
}

/** A list answer, whether the server sends the list itself or wraps it (`{items: [...]}`, `{rows: [...]}`). */
function list<T>(answer: unknown): T[] {
  if (Array.isArray(answer)) return answer as T[];
  if (answer && typeof answer === 'object') {
    for (const v of Object.values(answer)) if (Array.isArray(v)) return v as T[];
  }
  return [];
}

function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const id = (v: string | number) => encodeURIComponent(String(v));

export const supplies = {
  catalog: async (api: ApiClient) => list<CatalogItem>(await api.send('GET', '/supplies/catalog')),
  locations: async (api: ApiClient) => list<StockLocation>(await api.send('GET', '/supplies/locations')),
  stock: async (api: ApiClient, locationId: number | null, itemId?: number) =>
    list<StockRow>(await api.send('GET', `/supplies/stock${query({ location_id: locationId, item_id: itemId })}`)),
  stockCard: (api: ApiClient, locationId: number, itemId: number) =>
    api.send<StockCard>('GET', `/supplies/stock-card${query({ location_id: locationId, item_id: itemId })}`),
  parseGs1: (api: ApiClient, code: string) => api.send<Gs1Parsed>('POST', '/supplies/gs1', { code }),
  receive: (api: ApiClient, body: ReceiptRequest) => api.send<ReceiptResult>('POST', '/supplies/receipts', body),
  transfers: async (api: ApiClient, state: TransferState = 'in_transit') =>
    list<Transfer>(await api.send('GET', `/supplies/transfers${query({ state })}`)),
  createTransfer: (api: ApiClient, body: TransferRequest) => api.send<Transfer>('POST', '/supplies/transfers', body),
  receiveTransfer: (api: ApiClient, transferId: string) => api.send<unknown>('POST', `/supplies/transfers/${id(transferId)}/receipt`, {}),
  count: async (api: ApiClient, locationId: number, lines: CountLine[]) =>
    list<CountAdjustment>(await api.send('POST', '/supplies/counts', { location_id: locationId, lines })),
  discrepancies: async (api: ApiClient) => list<Discrepancy>(await api.send('GET', '/supplies/discrepancies?state=open')),
  resolveDiscrepancy: (api: ApiClient, discrepancyId: string | number, note: string) =>
    api.send<unknown>('POST', `/supplies/discrepancies/${id(discrepancyId)}/resolution`, { note }),
  alerts: async (api: ApiClient) => list<SupplyAlert>(await api.send('GET', '/supplies/alerts?state=open')),
  acknowledgeAlert: (api: ApiClient, alertId: string | number) => api.send<unknown>('POST', `/supplies/alerts/${id(alertId)}/acknowledgement`, {}),
  parLevels: async (api: ApiClient) => list<ParLevel>(await api.send('GET', '/supplies/par-levels')),
  setParLevel: (api: ApiClient, level: { location_id: number; item_id: number; par: number }) =>
    api.send<ParLevel>('PUT', '/supplies/par-levels', level),
  reorder: async (api: ApiClient) => list<ReorderRow>(await api.send('GET', '/supplies/reorder-report')),
  reorderCsv: (api: ApiClient) => api.download('/supplies/reorder-report?format=csv', 'text/csv'),
};
