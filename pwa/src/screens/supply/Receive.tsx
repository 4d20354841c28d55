/**
 * Receiving by GS1 scan and counting a location. A USB or Bluetooth scanner types the code into a text field and
 * presses Enter: the code is read here at once (GTIN, lot, expiry) and the server checks it again when saved.
 */
import { useEffect, useState } from 'preact/hooks';
import { supplies, type CatalogItem, type CountLine, type QuantityIn as QuantityInKind, type ReceiptRequest } from '../../api/supplies';
import { useT, type Key } from '../../i18n';
import { parseGs1, type Gs1Error, type Gs1Result } from '../../lib/gs1';
import { ScanInput } from '../../ui/FieldControls';
import { api, errorsOf, FieldError, FieldMessage, FormOutcome, LocationPicker, num, NumberField, Problem, Table, useLoad, useLocations } from './common';
import { countRowFor, countRows, failure, scannedRow, wholeNumber, type CountRow, type Failure } from './view';

const GS1_ERROR_KEYS: Record<Gs1Error, Key> = {
  empty: 'supply.gs1.empty',
  unreadable: 'supply.gs1.unreadable',
  check_digit: 'supply.gs1.check_digit',
  bad_date: 'supply.gs1.bad_date',
  no_gtin: 'supply.gs1.no_gtin',
};

/** The scan field as one of the form's fields, its code in a fixed-width font. */
const SCAN_FIELD_CLASS = 'supply-field scan-field';

/** What a scan read, shown at once: GTIN with the catalog item it belongs to, lot, expiry. */
function ScanResult({ result, item }: { result: Gs1Result; item: CatalogItem | undefined }) {
  const t = useT();
  if (!result.ok) return null;
  const v = result.value;
  return (
    <dl class="scan-result" data-testid="scan-result">
      <dt>{t('supply.gtin')}</dt>
      <dd data-testid="scan-gtin">{v.gtin}</dd>
      <dt>{t('supply.col.item')}</dt>
      <dd data-testid="scan-item">{item ? item.name : t('supply.unknownGtin')}</dd>
      <dt>{t('supply.col.lot')}</dt>
      <dd data-testid="scan-lot">{v.lotNumber ?? '—'}</dd>
      <dt>{t('supply.col.expires')}</dt>
      <dd data-testid="scan-expiry">{v.expiresOn ?? '—'}</dd>
    </dl>
  );
}

function gtinItem(catalog: readonly CatalogItem[] | null, result: Gs1Result | null): CatalogItem | undefined {
  return result?.ok ? catalog?.find((c) => c.gtin === result.value.gtin) : undefined;
}

/** Packs or units: the server multiplies packs by the item's pack size. */
function QuantityIn({ value, onChange }: { value: QuantityInKind; onChange: (v: QuantityInKind) => void }) {
  const t = useT();
  return (
    <div class="seg" role="group" aria-label={t('supply.quantityIn')}>
      {(['packs', 'units'] as const).map((k) => (
        <button key={k} type="button" aria-pressed={value === k} data-testid={`quantity-in-${k}`} onClick={() => onChange(k)}>
          {t(k === 'packs' ? 'supply.packs' : 'supply.units')}
        </button>
      ))}
    </div>
  );
}

export function Receive() {
  const t = useT();
  const locations = useLocations();
  const catalog = useLoad((c) => supplies.catalog(c), []).data;
  const [locationId, setLocationId] = useState<number | null>(null);
  const [byHand, setByHand] = useState(false);
  const [code, setCode] = useState('');
  const [scan, setScan] = useState<Gs1Result | null>(null);
  const [manual, setManual] = useState({ itemId: '', lot: '', expires: '' });
  const [quantity, setQuantity] = useState('1');
  const [quantityIn, setQuantityIn] = useState<QuantityInKind>('packs');
  const [problem, setProblem] = useState<Failure | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (locationId === null) setLocationId(locations.find((l) => l.kind === 'warehouse')?.id ?? null);
  }, [locations, locationId]);
  const item = byHand ? catalog?.find((c) => String(c.id) === manual.itemId) : gtinItem(catalog, scan);
  const errors = errorsOf(problem);

  /** The receipt to send, or the fields to fix first. */
  const request = (qty: number | null): ReceiptRequest | Record<string, string> => {
    const mine: Record<string, string> = {};
    if (locationId === null) mine.location_id = t('supply.required');
    if (qty === null) mine.quantity = t('supply.wholeNumber');
    if (byHand) {
      if (!manual.itemId) mine.item_id = t('supply.required');
      if (!manual.lot.trim()) mine.lot_number = t('supply.required');
    } else if (!scan) mine.gs1 = t('supply.scanFirst');
    else if (!scan.ok) mine.gs1 = t(GS1_ERROR_KEYS[scan.error]);
    if (Object.keys(mine).length) return mine;
    const base = { location_id: locationId!, quantity: qty!, quantity_in: quantityIn };
    return byHand ? { ...base, item_id: Number(manual.itemId), lot_number: manual.lot.trim(), expires_on: manual.expires || null } : { ...base, gs1: code };
  };

  const save = async (e: Event) => {
    e.preventDefault();
    setDone(null);
    const body = request(wholeNumber(quantity));
    if (!('location_id' in body && typeof body.location_id === 'number')) return setProblem({ kind: 'fields', fields: body as Record<string, string> });
    setBusy(true);
    try {
      const r = await supplies.receive(api(), body as ReceiptRequest);
      setDone(t('supply.received', { units: r.units, unit: item?.unit_of_measure ?? '', item: item?.name ?? '', lot: r.lot_number, onHand: r.on_hand }));
      setProblem(null);
      setScan(null);
      setCode('');
      setManual({ itemId: '', lot: '', expires: '' });
      setQuantity('1');
    } catch (err) {
      setProblem(failure(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card supply-form" data-testid="receive-form" onSubmit={(e) => void save(e)} noValidate>
      <h2>{t('supply.receiveTitle')}</h2>
      <LocationPicker id="receive-location" label="supply.receiveInto" value={locationId} onChange={setLocationId} locations={locations} testId="receive-location" />
      <FieldError errors={errors} name="location_id" />
      <label class="toggle">
        <input type="checkbox" data-testid="receive-by-hand" checked={byHand} onChange={(e) => (setByHand(e.currentTarget.checked), setProblem(null))} />
        <span>{t('supply.byHand')}</span>
      </label>
      {byHand ? (
        <div class="supply-grid">
          <div class="supply-field">
            <label for="receive-item">{t('supply.col.item')}</label>
            <select id="receive-item" data-testid="receive-item" value={manual.itemId} onChange={(e) => setManual({ ...manual, itemId: e.currentTarget.value })}>
              <option value="">{t('supply.choose')}</option>
              {(catalog ?? []).map((c) => (
                <option key={c.id} value={String(c.id)}>
                  {c.name}
                </option>
              ))}
            </select>
            <FieldError errors={errors} name="item_id" />
          </div>
          <div class="supply-field">
            <label for="receive-lot">{t('supply.col.lot')}</label>
            <input id="receive-lot" data-testid="receive-lot" type="text" maxLength={20} value={manual.lot} onInput={(e) => setManual({ ...manual, lot: e.currentTarget.value })} />
            <FieldError errors={errors} name="lot_number" />
          </div>
          <div class="supply-field">
            <label for="receive-expires">{t('supply.col.expires')}</label>
            <input id="receive-expires" data-testid="receive-expires" type="date" value={manual.expires} onInput={(e) => setManual({ ...manual, expires: e.currentTarget.value })} />
            <FieldError errors={errors} name="expires_on" />
          </div>
        </div>
      ) : (
        <>
          <ScanInput
            id="receive-scan"
            label={t('supply.scan')}
            help={t('supply.scanHelp')}
            class={SCAN_FIELD_CLASS}
            errorClass="field-error"
            autoFocus
            error={errors.gs1}
            onScan={(c) => {
              const read = parseGs1(c);
              setCode(c);
              setScan(read);
              setProblem(read.ok ? null : { kind: 'fields', fields: { gs1: t(GS1_ERROR_KEYS[read.error]) } });
              setDone(null);
            }}
          />
          {scan && <ScanResult result={scan} item={item} />}
          <FieldError errors={errors} name="expires_on" />
        </>
      )}
      <div class="supply-field">
        <label for="receive-quantity">{t('supply.quantity')}</label>
        <div class="row">
          <NumberField id="receive-quantity" testId="receive-quantity" min={1} invalid={!!errors.quantity} value={quantity} onInput={setQuantity} />
          <QuantityIn value={quantityIn} onChange={setQuantityIn} />
        </div>
        {item?.pack_size ? <p class="muted small">{t('supply.packHint', { size: item.pack_size, unit: item.unit_of_measure ?? '' })}</p> : null}
        <FieldError errors={errors} name="quantity" />
        <FieldError errors={errors} name="quantity_in" />
      </div>
      <FormOutcome problem={problem} done={done} testId="receive-done" />
      <button type="submit" class="btn btn-primary" data-testid="receive-submit" disabled={busy}>
        {t('supply.receiveSave')}
      </button>
    </form>
  );
}

/** Counting a location; `rest` may name it (/supply/count/<location id>, from a discrepancy's "Count now"). */
export function Count({ rest }: { rest: string }) {
  const t = useT();
  const locations = useLocations();
  const catalog = useLoad((c) => supplies.catalog(c), []).data;
  const [locationId, setLocationId] = useState<number | null>(() => (/^\d+$/.test(rest) ? Number(rest) : null));
  const stock = useLoad((c) => (locationId === null ? Promise.resolve([]) : supplies.stock(c, locationId)), [locationId]);
  const [extra, setExtra] = useState<CountRow[]>([]);
  const [counted, setCounted] = useState<Record<string, string>>({});
  const [scanError, setScanError] = useState<string | undefined>();
  const [picked, setPicked] = useState<string | null>(null);
  const [problem, setProblem] = useState<Failure | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const rows = [...countRows(stock.data ?? []), ...extra];
  const errors = errorsOf(problem);

  const pick = (code: string) => {
    setDone(null);
    const r = parseGs1(code);
    if (!r.ok) return setScanError(t(GS1_ERROR_KEYS[r.error]));
    setScanError(undefined);
    const hit = countRowFor(rows, r.value, catalog ?? []);
    const key = hit?.key ?? scannedRow(code, r.value, catalog ?? []).key;
    if (!hit) setExtra((xs) => [...xs, scannedRow(code, r.value, catalog ?? [])]);
    setPicked(key);
    // The scan picks the lot; the number counted is typed next, in its line.
    requestAnimationFrame(() => {
      const input = document.getElementById(`count-${key}`) as HTMLInputElement | null;
      input?.focus();
      input?.select();
    });
  };

  const save = async () => {
    setDone(null);
    if (locationId === null) return setProblem({ kind: 'fields', fields: { location_id: t('supply.required') } });
    const lines: CountLine[] = [];
    const mine: Record<string, string> = {};
    rows.forEach((row) => {
      const text = counted[row.key] ?? '';
      if (text.trim() === '') return;
      const n = wholeNumber(text, 0);
      if (n === null) mine[`row.${row.key}`] = t('supply.wholeNumberZero');
      else lines.push(row.lotId !== null ? { lot_id: row.lotId, counted: n } : { gs1: row.gs1!, counted: n });
    });
    if (lines.length === 0 && Object.keys(mine).length === 0) mine[''] = t('supply.countNothing');
    if (Object.keys(mine).length) return setProblem({ kind: 'fields', fields: mine });
    setBusy(true);
    try {
      const made = await supplies.count(api(), locationId, lines);
      setDone(t('supply.counted', { lines: lines.length, count: made.length }));
      setProblem(null);
      setCounted({});
      setExtra([]);
      stock.reload();
    } catch (err) {
      setProblem(failure(err));
    } finally {
      setBusy(false);
    }
  };

  /** The server names a line by its place in the request: find the row that line came from. */
  const lineError = (row: CountRow): string | undefined => {
    if (errors[`row.${row.key}`]) return errors[`row.${row.key}`];
    const sent = rows.filter((r) => (counted[r.key] ?? '').trim() !== '');
    const i = sent.indexOf(row);
    return i < 0 ? undefined : (errors[`lines.${i}.counted`] ?? errors[`lines.${i}.lot_id`] ?? errors[`lines.${i}.gs1`] ?? errors[`lines.${i}`]);
  };

  return (
    <div class="card supply-form" data-testid="count-form">
      <h2>{t('supply.countTitle')}</h2>
      <LocationPicker
        id="count-location"
        label="supply.location"
        value={locationId}
        onChange={(v) => {
          setLocationId(v);
          setCounted({});
          setExtra([]);
        }}
        locations={locations}
        testId="count-location"
      />
      <FieldError errors={errors} name="location_id" />
      {locationId !== null && (
        <ScanInput id="count-scan" label={t('supply.scanToCount')} help={t('supply.scanHelp')} class={SCAN_FIELD_CLASS} errorClass="field-error" autoFocus error={scanError} onScan={pick} />
      )}
      <Problem problem={stock.problem} />
      {locationId !== null && rows.length === 0 && stock.data && <p class="empty">{t('supply.noStock')}</p>}
      {rows.length > 0 && (
        <Table label={t('supply.countTitle')} testId="count-table" columns={['supply.col.item', 'supply.col.lot', 'supply.col.expires', num('supply.col.expected'), num('supply.col.counted')]}>
          <tbody>
            {rows.map((row) => {
              const err = lineError(row);
              return (
                <tr key={row.key} class={picked === row.key ? 'picked' : ''} data-testid="count-line" data-lot={row.lotNumber}>
                  <th scope="row">{row.itemName}</th>
                  <td>{row.lotNumber || '—'}</td>
                  <td class="when">{row.expiresOn ?? '—'}</td>
                  <td class="num">{row.expected ?? '—'}</td>
                  <td class="num">
                    <NumberField
                      id={`count-${row.key}`}
                      testId="count-input"
                      min={0}
                      label={t('supply.countedFor', { item: row.itemName, lot: row.lotNumber })}
                      invalid={!!err}
                      value={counted[row.key] ?? ''}
                      onInput={(v) => setCounted((c) => ({ ...c, [row.key]: v }))}
                    />
                    <FieldMessage text={err} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </Table>
      )}
      <FormOutcome problem={problem} done={done} testId="count-done" />
      <button type="button" class="btn btn-primary" data-testid="count-submit" disabled={busy || locationId === null} onClick={() => void save()}>
        {t('supply.countSave')}
      </button>
    </div>
  );
}
