/** Stock per location (items with their lots, expiry, on hand, low and expiry marks) and the stock card of one item. */
import { useState } from 'preact/hooks';
import { supplies, type LedgerReason } from '../../api/supplies';
import { formatDateTime, useT, type Key } from '../../i18n';
import { ExpiryMark, LocationPicker, num, Problem, Table, useLoad, useLocations } from './common';
import { expiryState, groupStock } from './view';

export function Stock() {
  const t = useT();
  const locations = useLocations();
  const [locationId, setLocationId] = useState<number | null>(null);
  const stock = useLoad((c) => supplies.stock(c, locationId), [locationId]);
  // A supervisor may not read par levels: then no line is marked low.
  const pars = useLoad((c) => supplies.parLevels(c).catch(() => []), []);
  const today = new Date();
  const groups = stock.data ? groupStock(stock.data, pars.data ?? [], today) : null;
  return (
    <div data-testid="supply-stock">
      <div class="row supply-filters">
        <LocationPicker id="stock-location" label="supply.location" value={locationId} onChange={setLocationId} locations={locations} allowAll testId="stock-location" />
        <button type="button" class="btn btn-small" onClick={stock.reload} data-testid="stock-refresh">
          {t('supply.refresh')}
        </button>
      </div>
      <Problem problem={stock.problem} />
      {groups && groups.length === 0 && <p class="empty">{t('supply.noStock')}</p>}
      {groups && groups.length > 0 && (
        <Table label={t('supply.tab.stock')} testId="stock-table" columns={['supply.col.location', 'supply.col.item', 'supply.col.lot', 'supply.col.expires', num('supply.col.onHand'), num('supply.col.par')]}>
          {groups.map((g) => (
            <tbody key={g.key} class="stock-item" data-testid="stock-item" data-item-id={g.itemId} data-location-id={g.locationId}>
              <tr class="item-row">
                <td>{g.locationName}</td>
                <th scope="row">
                  <a href={`#/supply/card/${g.locationId}/${g.itemId}`} data-testid="stock-card-link">
                    {g.itemName}
                  </a>{' '}
                  <span class="muted small">{g.sku}</span>
                  {g.low && (
                    <span class="pill pill-tiny pill-warn" data-testid="mark-low">
                      {t('supply.low')}
                    </span>
                  )}
                  <ExpiryMark state={g.expiry} />
                </th>
                <td class="muted">{t('supply.lotCount', { count: g.lots.length })}</td>
                <td />
                <td class="num" data-testid="stock-item-on-hand">
                  <strong>{g.onHand}</strong>
                </td>
                <td class="num">{g.par ?? ''}</td>
              </tr>
              {g.lots.map((l) => (
                <tr key={l.lot_id} class="lot-row" data-testid="stock-lot" data-lot={l.lot_number}>
                  <td />
                  <td />
                  <td>{l.lot_number}</td>
                  <td class="when">
                    {l.expires_on ?? '—'} <ExpiryMark state={expiryState(l.expires_on, today)} />
                  </td>
                  <td class="num" data-testid="stock-lot-on-hand">
                    {l.on_hand}
                  </td>
                  <td />
                </tr>
              ))}
            </tbody>
          ))}
        </Table>
      )}
    </div>
  );
}

const REASON_KEYS: Record<LedgerReason, Key> = {
  receive: 'supply.reason.receive',
  transfer_out: 'supply.reason.transfer_out',
  transfer_in: 'supply.reason.transfer_in',
  distribute: 'supply.reason.distribute',
  administer: 'supply.reason.administer',
  expire: 'supply.reason.expire',
  damage: 'supply.reason.damage',
  count_adjust: 'supply.reason.count_adjust',
};

/** One item at one location: every ledger move with the balance after it, who made it, on which device, when. */
export function StockCardView({ rest }: { rest: string }) {
  const t = useT();
  const [loc, item] = rest.split('/').map(Number);
  const valid = Number.isInteger(loc) && Number.isInteger(item);
  const card = useLoad((c) => (valid ? supplies.stockCard(c, loc!, item!) : Promise.resolve(null)), [rest]);
  const stock = useLoad((c) => (valid ? supplies.stock(c, loc!, item!) : Promise.resolve([])), [rest]);
  const first = stock.data?.[0];
  return (
    <div data-testid="supply-card">
      <p>
        <a href="#/supply/stock" class="back">
          {t('supply.backToStock')}
        </a>
      </p>
      <h2>{first ? t('supply.cardTitle', { item: first.item_name, location: first.location_name }) : t('supply.tab.card')}</h2>
      <Problem problem={card.problem} />
      {card.data && (
        <>
          <p class="supply-balance">
            {t('supply.balance')} <strong data-testid="card-balance">{card.data.balance}</strong>
          </p>
          {card.data.entries.length === 0 ? (
            <p class="empty">{t('supply.noEntries')}</p>
          ) : (
            <Table label={t('supply.tab.card')} testId="card-table" columns={['supply.col.when', 'supply.col.reason', 'supply.col.lot', num('supply.col.change'), num('supply.col.balanceAfter'), 'supply.col.who', 'supply.col.device']}>
              <tbody>
                {card.data.entries.map((e) => (
                  <tr key={e.id} data-testid="card-entry" data-reason={e.reason}>
                    <td class="when">{formatDateTime(e.at)}</td>
                    <td>{REASON_KEYS[e.reason] ? t(REASON_KEYS[e.reason]) : e.reason}</td>
                    <td>{e.lot_number ?? ''}</td>
                    <td class={`num ${e.delta < 0 ? 'neg' : 'pos'}`}>{e.delta > 0 ? `+${e.delta}` : e.delta}</td>
                    <td class="num">{e.balance_after}</td>
                    <td>{e.user_name ?? ''}</td>
                    <td>{e.device_name ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </>
      )}
    </div>
  );
}
