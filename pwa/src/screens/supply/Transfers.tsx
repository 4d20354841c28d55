/** Transfers: those in transit (and receiving one), and sending a new one from a location to another. */
import { useState } from 'preact/hooks';
import { supplies, type StockLocation } from '../../api/supplies';
import { formatDateTime, useT } from '../../i18n';
import { ACTIONS, api, errorsOf, FieldError, FieldMessage, FormOutcome, LocationPicker, num, NumberField, Problem, Table, useListAction, useLoad, useLocations } from './common';
import { failure, locationName, wholeNumber, type Failure } from './view';

interface Line {
  key: number;
  itemId: string;
  lotId: string;
  quantity: string;
}

let lineKeys = 0;
const emptyLine = (): Line => ({ key: ++lineKeys, itemId: '', lotId: '', quantity: '' });

export function Transfers() {
  const t = useT();
  const locations = useLocations();
  const inTransit = useLoad((c) => supplies.transfers(c, 'in_transit'), []);
  const receive = useListAction(inTransit.reload);
  return (
    <div data-testid="supply-transfers">
      <NewTransfer locations={locations} onSent={inTransit.reload} />
      <h2>{t('supply.inTransit')}</h2>
      <Problem problem={inTransit.problem ?? receive.problem} />
      {inTransit.data && inTransit.data.length === 0 && <p class="empty">{t('supply.noTransfers')}</p>}
      {inTransit.data && inTransit.data.length > 0 && (
        <Table label={t('supply.inTransit')} testId="transfers-table" columns={['supply.col.sent', 'supply.col.from', 'supply.col.to', 'supply.col.lines', ACTIONS]}>
          <tbody>
            {inTransit.data.map((x) => (
              <tr key={x.id} data-testid="transfer-row" data-transfer-id={x.id} data-to={x.to_location_id}>
                <td class="when">{formatDateTime(x.sent_at)}</td>
                <td>{locationName(locations, x.from_location_id, x.from_location_name)}</td>
                <td data-testid="transfer-destination">{locationName(locations, x.to_location_id, x.to_location_name)}</td>
                <td>
                  <ul class="plain">
                    {x.lines.map((l, i) => (
                      <li key={i} data-testid="transfer-line">
                        <span class="num-inline">{l.quantity}</span> × {l.item_name ?? l.item_id} {l.lot_number ? `(${l.lot_number})` : ''}
                      </li>
                    ))}
                  </ul>
                </td>
                <td>
                  <button type="button" class="btn btn-small" data-testid="transfer-receive" onClick={() => void receive.run((c) => supplies.receiveTransfer(c, x.id))}>
                    {t('supply.markReceived')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </div>
  );
}

function NewTransfer({ locations, onSent }: { locations: readonly StockLocation[]; onSent: () => void }) {
  const t = useT();
  const catalog = useLoad((c) => supplies.catalog(c), []).data ?? [];
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  const [lines, setLines] = useState<Line[]>(() => [emptyLine()]);
  const [problem, setProblem] = useState<Failure | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const source = useLoad((c) => (from === null ? Promise.resolve([]) : supplies.stock(c, from)), [from]);
  const errors = errorsOf(problem);
  const edit = (key: number, patch: Partial<Line>) => setLines((ls) => ls.map((l) => (l.key === key ? { ...l, ...patch } : l)));

  const send = async (e: Event) => {
    e.preventDefault();
    setDone(null);
    const mine: Record<string, string> = {};
    if (from === null) mine.from_location_id = t('supply.required');
    if (to === null) mine.to_location_id = t('supply.required');
    if (from !== null && from === to) mine.to_location_id = t('supply.sameLocation');
    const body = lines
      .filter((l) => l.itemId || l.quantity)
      .map((l, i) => {
        const quantity = wholeNumber(l.quantity);
        if (!l.itemId) mine[`lines.${i}.item_id`] = t('supply.required');
        if (quantity === null) mine[`lines.${i}.quantity`] = t('supply.wholeNumber');
        return { item_id: Number(l.itemId), quantity: quantity ?? 0, ...(l.lotId ? { lot_id: Number(l.lotId) } : {}) };
      });
    if (body.length === 0) mine['lines.0.item_id'] = t('supply.required');
    if (Object.keys(mine).length) return setProblem({ kind: 'fields', fields: mine });
    setBusy(true);
    try {
      await supplies.createTransfer(api(), { from_location_id: from!, to_location_id: to!, lines: body });
      setDone(t('supply.transferSent', { to: locationName(locations, to!) }));
      setProblem(null);
      setLines([emptyLine()]);
      onSent();
      source.reload();
    } catch (err) {
      setProblem(failure(err));
    } finally {
      setBusy(false);
    }
  };

  // Server messages name a line by its place among the lines sent (the filled ones).
  const filled = lines.filter((l) => l.itemId || l.quantity);
  const errAt = (l: Line, field: string) => {
    const i = filled.indexOf(l);
    return i < 0 ? undefined : (errors[`lines.${i}.${field}`] ?? (field === 'quantity' ? errors[`lines.${i}`] : undefined));
  };

  return (
    <form class="card supply-form" data-testid="transfer-form" onSubmit={(e) => void send(e)} noValidate>
      <h2>{t('supply.newTransfer')}</h2>
      <div class="supply-grid">
        <div>
          <LocationPicker id="transfer-from" label="supply.col.from" value={from} onChange={setFrom} locations={locations} testId="transfer-from" />
          <FieldError errors={errors} name="from_location_id" />
        </div>
        <div>
          <LocationPicker id="transfer-to" label="supply.col.to" value={to} onChange={setTo} locations={locations} testId="transfer-to" />
          <FieldError errors={errors} name="to_location_id" />
        </div>
      </div>
      <Table label={t('supply.col.lines')} testId="transfer-lines" columns={['supply.col.item', 'supply.col.lotOptional', num('supply.quantity'), ACTIONS]}>
        <tbody>
          {lines.map((l, n) => {
            const lots = (source.data ?? []).filter((s) => String(s.item_id) === l.itemId && s.on_hand > 0);
            const itemErr = errAt(l, 'item_id');
            const lotErr = errAt(l, 'lot_id');
            const qtyErr = errAt(l, 'quantity');
            return (
              <tr key={l.key} data-testid="transfer-line-edit">
                <td>
                  <select
                    data-testid="line-item"
                    aria-label={t('supply.lineItem', { n: n + 1 })}
                    value={l.itemId}
                    onChange={(e) => edit(l.key, { itemId: e.currentTarget.value, lotId: '' })}
                  >
                    <option value="">{t('supply.choose')}</option>
                    {catalog.map((c) => (
                      <option key={c.id} value={String(c.id)}>
                        {c.name}
                      </option>
                    ))}
                  </select>
                  <FieldMessage text={itemErr} />
                </td>
                <td>
                  <select data-testid="line-lot" aria-label={t('supply.lineLot', { n: n + 1 })} value={l.lotId} onChange={(e) => edit(l.key, { lotId: e.currentTarget.value })}>
                    <option value="">{t('supply.fefo')}</option>
                    {lots.map((s) => (
                      <option key={s.lot_id} value={String(s.lot_id)}>
                        {t('supply.lotOption', { lot: s.lot_number, expires: s.expires_on ?? '—', count: s.on_hand })}
                      </option>
                    ))}
                  </select>
                  <FieldMessage text={lotErr} />
                </td>
                <td class="num">
                  <NumberField testId="line-quantity" min={1} label={t('supply.lineQuantity', { n: n + 1 })} invalid={!!qtyErr} value={l.quantity} onInput={(quantity) => edit(l.key, { quantity })} />
                  <FieldMessage text={qtyErr} />
                </td>
                <td>
                  {lines.length > 1 && (
                    <button type="button" class="btn btn-small btn-ghost" data-testid="line-remove" onClick={() => setLines((ls) => ls.filter((x) => x.key !== l.key))}>
                      {t('supply.removeLine')}
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </Table>
      <div class="row">
        <button type="button" class="btn" data-testid="line-add" onClick={() => setLines((ls) => [...ls, emptyLine()])}>
          {t('supply.addLine')}
        </button>
        <span class="spacer" />
        <button type="submit" class="btn btn-primary" data-testid="transfer-submit" disabled={busy}>
          {t('supply.sendTransfer')}
        </button>
      </div>
      <FormOutcome problem={problem} done={done} testId="transfer-done" />
    </form>
  );
}
