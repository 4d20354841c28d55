import { describe, expect, it } from 'vitest';
import { ApiClient, HttpError, NetworkError, type FetchFn } from '../src/api/client';
import { supplies, type StockLocation, type StockRow } from '../src/api/supplies';
import { homePath, screenFor } from '../src/app/screens';
import { TABS } from '../src/screens/supply/Supply';
import { parseGs1 } from '../src/lib/gs1';
import type { CatalogItem } from '../src/api/supplies';
import { countRowFor, countRows, expiryState, failure, fieldErrors, groupStock, locationName, NEAR_EXPIRY_DAYS, reorderFileName, scannedRow, wholeNumber } from '../src/screens/supply/view';
import { fakeFetch, staticTokens } from './helpers';

const TODAY = new Date(Date.UTC(2026, 2, 1, 15, 30));

function row(over: Partial<StockRow>): StockRow {
  return {
    location_id: 1,
    location_name: 'Central warehouse',
    item_id: 10,
    item_name: 'Naloxone 4 mg nasal spray',
    sku: 'NAL-4',
    lot_id: 100,
    lot_number: 'L1',
    expires_on: '2027-01-31',
    on_hand: 5,
    ...over,
  };
}

describe('expiry marks', () => {
  it('marks a lot expired only after its expiry day', () => {
    expect(expiryState('2026-02-28', TODAY)).toBe('expired');
    expect(expiryState('2026-03-01', TODAY)).toBe('near');
  });

  it('marks a lot near expiry up to NEAR_EXPIRY_DAYS ahead, and fine after', () => {
    const edge = new Date(Date.UTC(2026, 2, 1 + NEAR_EXPIRY_DAYS)).toISOString().slice(0, 10);
    const after = new Date(Date.UTC(2026, 2, 2 + NEAR_EXPIRY_DAYS)).toISOString().slice(0, 10);
    expect(expiryState(edge, TODAY)).toBe('near');
    expect(expiryState(after, TODAY)).toBe('ok');
  });

  it('gives no mark to a lot without a date or with an unreadable one', () => {
    expect(expiryState(null, TODAY)).toBe('none');
    expect(expiryState('soon', TODAY)).toBe('none');
  });
});

describe('stock grouped per location and item', () => {
  it('adds the lots of one item at one location and lists them first expiry first', () => {
    const groups = groupStock(
      [
        row({ lot_id: 101, lot_number: 'LATE', expires_on: '2028-01-01', on_hand: 3 }),
        row({ lot_id: 102, lot_number: 'NODATE', expires_on: null, on_hand: 1 }),
        row({ lot_id: 103, lot_number: 'SOON', expires_on: '2026-03-20', on_hand: 2 }),
      ],
      [],
      TODAY,
    );
    expect(groups).toHaveLength(1);
    expect(groups[0]!.onHand).toBe(6);
    expect(groups[0]!.lots.map((l) => l.lot_number)).toEqual(['SOON', 'LATE', 'NODATE']);
    expect(groups[0]!.expiry).toBe('near');
  });

  it('keeps the same item at two locations apart, sorted by location then item', () => {
    const groups = groupStock(
      [
        row({ location_id: 2, location_name: 'HEART-1 vehicle kit', lot_id: 1 }),
        row({ item_id: 11, item_name: 'Fentanyl test strips', lot_id: 2 }),
        row({ lot_id: 3 }),
      ],
      [],
      TODAY,
    );
    expect(groups.map((g) => `${g.locationName} / ${g.itemName}`)).toEqual([
      'Central warehouse / Fentanyl test strips',
      'Central warehouse / Naloxone 4 mg nasal spray',
      'HEART-1 vehicle kit / Naloxone 4 mg nasal spray',
    ]);
  });

  it('marks an item below its par level at that location only', () => {
    const pars = [
      { location_id: 1, item_id: 10, par: 6 },
      { location_id: 2, item_id: 10, par: 5 },
    ];
    const groups = groupStock([row({ on_hand: 5 }), row({ location_id: 2, location_name: 'Kit', lot_id: 9, on_hand: 5 })], pars, TODAY);
    expect(groups.map((g) => [g.locationId, g.par, g.low])).toEqual([
      [1, 6, true],
      [2, 5, false],
    ]);
  });

  it('does not mark an item expired for an empty expired lot', () => {
    const groups = groupStock([row({ lot_id: 1, expires_on: '2025-01-01', on_hand: 0 }), row({ lot_id: 2 })], [], TODAY);
    expect(groups[0]!.expiry).toBe('ok');
  });

  it('marks the worst state among lots holding stock', () => {
    const groups = groupStock([row({ lot_id: 1, expires_on: '2026-03-20' }), row({ lot_id: 2, expires_on: '2025-12-31' })], [], TODAY);
    expect(groups[0]!.expiry).toBe('expired');
  });
});

describe('a count by scanning', () => {
  const catalog: CatalogItem[] = [
    { id: 10, sku: 'NAL-4', name: 'Naloxone 4 mg nasal spray', gtin: '09506000134352', category: 'naloxone', unit_of_measure: '2-pack', pack_size: 24, low_stock_threshold: 0, harm_reduction: true },
  ];
  const read = (code: string) => {
    const r = parseGs1(code, TODAY);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  };
  const rows = countRows([row({ lot_id: 100, lot_number: 'L1' }), row({ lot_id: 101, lot_number: 'L2' }), row({ item_id: 11, lot_id: 102, lot_number: 'L1' })]);

  it('picks the line of the same lot of the item the GTIN names', () => {
    expect(countRowFor(rows, read('(01)09506000134352(10)L2'), catalog)?.lotId).toBe(101);
    expect(countRowFor(rows, read('(01)09506000134352(10)L1'), catalog)?.lotId).toBe(100);
  });

  it('finds no line for a lot the location does not hold, or a GTIN not in the catalog', () => {
    expect(countRowFor(rows, read('(01)09506000134352(10)L9'), catalog)).toBeNull();
    expect(countRowFor(rows, read('(01)19506000134359(10)L1'), catalog)).toBeNull();
  });

  it('adds a lot it does not hold as a line counted by its code, found again on the next scan', () => {
    const code = ' (01)09506000134352(17)270600(10)NEW ';
    const added = scannedRow(code, read(code), catalog);
    expect(added).toMatchObject({ lotId: null, gs1: code.trim(), itemId: 10, itemName: 'Naloxone 4 mg nasal spray', lotNumber: 'NEW', expiresOn: '2027-06-30', expected: null });
    expect(countRowFor([...rows, added], read('01095060001343521727063010NEW'), catalog)?.key).toBe(added.key);
  });
});

describe("the server's field messages", () => {
  it('are read by field path, without the request location', () => {
    expect(
      fieldErrors({
        json: { quantity: ['Must be greater than or equal to 1.'], lines: { '0': { lot_id: ['Unknown lot.'] } } },
        query: { location_id: ['Not a valid integer.', 'Required.'] },
      }),
    ).toEqual({ quantity: 'Must be greater than or equal to 1.', 'lines.0.lot_id': 'Unknown lot.', location_id: 'Not a valid integer. Required.' });
  });

  it('fall back to the message when no field is named', () => {
    expect(fieldErrors({}, 'Already received')).toEqual({ '': 'Already received' });
    expect(fieldErrors(null)).toEqual({});
  });

  it('tell a 422 with fields from no connection and from a server failure', () => {
    const unprocessable = new HttpError(422, { code: 422, status: 'Unprocessable Entity', message: 'bad', errors: { json: { gs1: ['Unknown GTIN.'] } } });
    expect(failure(unprocessable)).toEqual({ kind: 'fields', fields: { gs1: 'Unknown GTIN.' } });
    expect(failure(new NetworkError('down'))).toEqual({ kind: 'offline' });
    expect(failure(new HttpError(500, null))).toEqual({ kind: 'failed', message: 'HTTP 500' });
  });
});

describe('quantities typed into a field', () => {
  it('take whole numbers at or above the minimum only', () => {
    expect(wholeNumber(' 12 ')).toBe(12);
    expect(wholeNumber('0')).toBeNull();
    expect(wholeNumber('0', 0)).toBe(0);
    expect(['', '2.5', '-1', 'abc', '1e3', '99999999999999999999'].map((s) => wholeNumber(s))).toEqual([null, null, null, null, null, null]);
  });
});

describe("a location's name beside a transfer, an alert or a discrepancy", () => {
  const locations: StockLocation[] = [
    { id: 1, name: 'Central warehouse', kind: 'warehouse', unit_id: null },
    { id: 2, name: 'Medic 7', kind: 'vehicle_kit', unit_id: 7 },
  ];

  it("takes the name the server sent along, else the one in the list, else the location's id", () => {
    expect(locationName(locations, 2, 'Medic 7 (renamed)')).toBe('Medic 7 (renamed)');
    expect(locationName(locations, 2)).toBe('Medic 7');
    expect(locationName(locations, 9)).toBe('9');
  });
});

describe('the reorder report file', () => {
  it('is named after the local day', () => {
    expect(reorderFileName(new Date(2026, 0, 5, 23, 59))).toBe('reorder-report-2026-01-05.csv');
  });
});

describe('supply REST calls', () => {
  it('read a list answer and send the filters as a query, signed in', async () => {
    const { fetch, requests } = fakeFetch(() => [200, [row({})]]);
    const rows = await supplies.stock(new ApiClient(fetch, staticTokens), 3, 10);
    expect(rows).toEqual([row({})]);
    expect(requests[0]).toMatchObject({ method: 'GET', path: '/api/v1/supplies/stock?location_id=3&item_id=10', auth: 'Bearer A' });
  });

  it('leave out the location to ask for every location', async () => {
    const { fetch, requests } = fakeFetch(() => [200, []]);
    await supplies.stock(new ApiClient(fetch, staticTokens), null);
    expect(requests[0]!.path).toBe('/api/v1/supplies/stock');
  });

  it('read a list wrapped in an object', async () => {
    const { fetch } = fakeFetch(() => [200, { items: [{ id: 1, name: 'Central warehouse', kind: 'warehouse' }] }]);
    expect(await supplies.locations(new ApiClient(fetch, staticTokens))).toEqual([{ id: 1, name: 'Central warehouse', kind: 'warehouse' }]);
  });

  it('post a receipt by GS1 code and raise the 422 with its field messages', async () => {
    const { fetch, requests } = fakeFetch(() => [422, { code: 422, status: 'Unprocessable Entity', message: 'bad', errors: { json: { gs1: ['Unknown GTIN.'] } } }]);
    const call = supplies.receive(new ApiClient(fetch, staticTokens), { location_id: 1, quantity: 2, quantity_in: 'packs', gs1: '(01)09506000134352(10)A' });
    await expect(call).rejects.toBeInstanceOf(HttpError);
    expect(requests[0]).toMatchObject({ method: 'POST', path: '/api/v1/supplies/receipts', body: { location_id: 1, quantity: 2, quantity_in: 'packs', gs1: '(01)09506000134352(10)A' } });
  });

  it('download the reorder CSV with the bearer token, as text/csv', async () => {
    const seen: { accept?: string; auth?: string; url?: string } = {};
    const fetch: FetchFn = async (input, init) => {
      const h = init?.headers as Record<string, string>;
      Object.assign(seen, { accept: h.Accept, auth: h.Authorization, url: input });
      return new Response('location,item,on_hand\nCentral warehouse,Naloxone,4\n', { status: 200, headers: { 'Content-Type': 'text/csv' } });
    };
    const blob = await supplies.reorderCsv(new ApiClient(fetch, staticTokens));
    expect(seen).toEqual({ accept: 'text/csv', auth: 'Bearer A', url: '/api/v1/supplies/reorder-report?format=csv' });
    expect(blob.type).toBe('text/csv');
    expect(await blob.text()).toContain('Central warehouse,Naloxone,4');
  });

  it('still refuse a list where a sync answer must be an object', async () => {
    const { fetch } = fakeFetch(() => [200, []]);
    await expect(new ApiClient(fetch, staticTokens).pull(null, 10)).rejects.toBeInstanceOf(NetworkError);
  });
});

describe('who reaches the supply screens', () => {
  it('lands the supply manager on them after unlocking', () => {
    expect(homePath('supply_manager')).toBe('/supply/');
    expect(screenFor('/supply/reorder', 'supply_manager')?.id).toBe('supply');
  });

  it('lets a supervisor in (their tabs are read-only stock) but no field role', () => {
    expect(screenFor('/supply/stock', 'supervisor')?.id).toBe('supply');
    expect(screenFor('/supply/stock', 'responder_peer')).toBeNull();
    expect(homePath('supervisor')).toBe('/board');
  });

  it('shows a supervisor the stock and stock card tabs only, the supply manager every tab', () => {
    expect(TABS.filter((tab) => tab.roles.includes('supervisor')).map((tab) => tab.id)).toEqual(['stock', 'card']);
    expect(TABS.filter((tab) => tab.roles.includes('supply_manager'))).toHaveLength(TABS.length);
  });
});
