/** Open discrepancies (stock that went below zero: resolve with a note, or count the location now) and open alerts. */
import { useState } from 'preact/hooks';
import { supplies, type AlertKind, type Discrepancy } from '../../api/supplies';
import { formatDateTime, useT, type Key } from '../../i18n';
import { ACTIONS, api, errorsOf, FieldError, num, Problem, Table, useListAction, useLoad, useLocations } from './common';
import { failure, locationName, type Failure } from './view';

export function Discrepancies() {
  const t = useT();
  const locations = useLocations();
  const open = useLoad((c) => supplies.discrepancies(c), []);
  return (
    <div data-testid="supply-discrepancies">
      <p class="muted">{t('supply.discrepancyHelp')}</p>
      <Problem problem={open.problem} />
      {open.data && open.data.length === 0 && <p class="empty">{t('supply.noDiscrepancies')}</p>}
      <ul class="plain supply-cards">
        {(open.data ?? []).map((d) => (
          <DiscrepancyItem key={d.id} d={d} location={locationName(locations, d.location_id, d.location_name)} onResolved={open.reload} />
        ))}
      </ul>
    </div>
  );
}

function DiscrepancyItem({ d, location, onResolved }: { d: Discrepancy; location: string; onResolved: () => void }) {
  const t = useT();
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<Failure | null>(null);
  const errors = errorsOf(problem);
  const resolve = async (e: Event) => {
    e.preventDefault();
    if (!note.trim()) return setProblem({ kind: 'fields', fields: { note: t('supply.noteRequired') } });
    try {
      await supplies.resolveDiscrepancy(api(), d.id, note.trim());
      onResolved();
    } catch (err) {
      setProblem(failure(err));
    }
  };
  const noteId = `note-${d.id}`;
  return (
    <li class="card" data-testid="discrepancy" data-location-id={d.location_id} data-lot-id={d.lot_id}>
      <strong>{t('supply.discrepancyTitle', { item: d.item_name ?? String(d.item_id), location })}</strong>
      <p>
        {t('supply.discrepancyBody', { lot: d.lot_number ?? String(d.lot_id), count: d.on_hand_when_found, when: formatDateTime(d.opened_at) })}
      </p>
      <form class="row" onSubmit={(e) => void resolve(e)} noValidate>
        <label for={noteId} class="sr-only">
          {t('supply.resolutionNote')}
        </label>
        <input id={noteId} data-testid="discrepancy-note" type="text" placeholder={t('supply.resolutionNote')} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        <button type="submit" class="btn" data-testid="discrepancy-resolve">
          {t('supply.resolve')}
        </button>
        <a class="btn btn-primary" href={`#/supply/count/${d.location_id}`} data-testid="discrepancy-count">
          {t('supply.countNow')}
        </a>
      </form>
      <FieldError errors={errors} name="note" />
      <Problem problem={problem?.kind === 'fields' ? null : problem} />
    </li>
  );
}

const ALERT_KEYS: Record<AlertKind, Key> & Record<string, Key> = { low_stock: 'supply.alert.low_stock', near_expiry: 'supply.alert.near_expiry', expired: 'supply.alert.expired' };

export function Alerts() {
  const t = useT();
  const locations = useLocations();
  const open = useLoad((c) => supplies.alerts(c), []);
  const ack = useListAction(open.reload);
  return (
    <div data-testid="supply-alerts">
      <Problem problem={open.problem ?? ack.problem} />
      {open.data && open.data.length === 0 && <p class="empty">{t('supply.noAlerts')}</p>}
      {open.data && open.data.length > 0 && (
        <Table label={t('supply.tab.alerts')} testId="alerts-table" columns={['supply.col.alert', 'supply.col.location', 'supply.col.item', 'supply.col.lot', num('supply.col.onHand'), 'supply.col.since', ACTIONS]}>
          <tbody>
            {open.data.map((a) => (
              <tr key={a.id} data-testid="alert-row" data-kind={a.kind}>
                <td>
                  <span class={`pill pill-tiny ${a.kind === 'expired' ? 'pill-danger' : 'pill-warn'}`}>{ALERT_KEYS[a.kind] ? t(ALERT_KEYS[a.kind]!) : a.kind}</span>
                </td>
                <td>{locationName(locations, a.location_id, a.location_name)}</td>
                <td>{a.item_name ?? a.item_id}</td>
                <td>
                  {a.lot_number ?? ''} {a.expires_on ? <span class="muted small">{a.expires_on}</span> : null}
                </td>
                <td class="num">{a.on_hand ?? ''}</td>
                <td class="when">{formatDateTime(a.first_seen)}</td>
                <td>
                  <button type="button" class="btn btn-small" data-testid="alert-ack" onClick={() => void ack.run((c) => supplies.acknowledgeAlert(c, a.id))}>
                    {t('supply.acknowledge')}
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
