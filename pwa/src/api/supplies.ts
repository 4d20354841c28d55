/**
 * The supply manager's REST calls (/api/v1/supplies/*): online, signed in, one function per route.
 * Shapes follow the supplies contract; the screens never build a URL themselves.
 */
import type { ApiClient } from './client';
import type { components } from './schema';

type S = components['schemas'];

/**
 * `T` with every field present: the server dumps each field of these answers (its marshmallow schemas mark
 * none required, so the document has them optional).
 */
type Sent<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

export type StockLocation = Sent<S['Location']>;
export type CatalogItem = Sent<S['SupplyItem']>;
export type StockRow = Sent<S['StockRow']>;
export type LedgerReason = StockCardEntry['reason'];
export type StockCardEntry = Sent<S['StockCardEntry']>;
export type StockCard = { balance: number; entries: StockCardEntry[] };
export type Gs1Parsed = Sent<S['Gs1Reading']>;

/** A received quantity counts packs (times the item's pack size) or units of measure. */
export type QuantityIn = S['Receipt']['quantity_in'];
/** A receipt by scanned code or typed in (item, lot, expiry); the document has both ways in one shape. */
export type ReceiptRequest = { location_id: number; quantity: number; quantity_in: QuantityIn } & (
  | { gs1: string }
  | { item_id: number; lot_number: string; expires_on: string | null }
);
export type ReceiptResult = Sent<S['ReceiptResult']>;

export type TransferLine = Sent<S['TransferLine']>;
export type TransferState = Sent<S['Transfer']>['state'];
export type Transfer = Omit<Sent<S['Transfer']>, 'lines'> & { lines: TransferLine[] };
export type TransferRequest = S['NewTransfer'];

/** One counted lot, named by id or by a scanned code. */
export type CountLine = { counted: number } & ({ lot_id: number } | { gs1: string });
export type CountAdjustment = Sent<S['AdjustmentMade']>;

export type Discrepancy = Sent<S['Discrepancy']>;
/** `kind` is a free string in the document; the server raises these. */
export type AlertKind = 'low_stock' | 'near_expiry' | 'expired';
export type SupplyAlert = Sent<S['Alert']>;
export type ParLevel = S['ParLevel'];
export type ReorderRow = Sent<S['ReorderRow']>;

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
  setParLevel: (api: ApiClient, level: ParLevel) =>
    api.send<ParLevel>('PUT', '/supplies/par-levels', level),
  reorder: async (api: ApiClient) => list<ReorderRow>(await api.send('GET', '/supplies/reorder-report')),
  reorderCsv: (api: ApiClient) => api.download('/supplies/reorder-report?format=csv', 'text/csv'),
};
