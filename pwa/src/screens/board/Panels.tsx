/**
 * The board's side panels: the units (status, crew, call), calls past their check-in time, the
 * debrief queue in short, sync entries waiting for review, and the devices (revoke as lost or
 * retired, after a confirmation).
 */
import { useState } from 'preact/hooks';
import { board, type BoardUnit, type Device, type Overdue, type RevokeReason } from '../../api/board';
import { debriefs } from '../../api/debriefs';
import { formatDateTime, formatTime, useT } from '../../i18n';
import { ACTIONS, Problem, Table, useListAction, useLoad } from '../supply/common';
import { statusText } from './BoardMap';

export function UnitsPanel({ units }: { units: readonly BoardUnit[] | null }) {
  const t = useT();
  return (
    <section class="board-panel" aria-labelledby="board-units-h" data-testid="board-units">
      <h2 id="board-units-h">{t('board.units')}</h2>
      {units && units.length === 0 && <p class="empty">{t('board.noUnits')}</p>}
      {units && units.length > 0 && (
        <Table label={t('board.units')} testId="board-units-table" columns={['board.col.unit', 'board.col.status', 'board.col.crew', 'board.col.call']}>
          <tbody>
            {units.map((u) => (
              <tr key={u.unit_id} data-testid="board-unit" data-unit-id={u.unit_id} data-status={u.status}>
                <td>{u.call_sign}</td>
                <td>{statusText(t, u.status)}</td>
                <td>{u.crew.map((c) => c.name).join(', ') || '—'}</td>
                <td>{u.call ? `${u.call.cad_number} · ${u.call.address}` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}

export function OverduePanel({ items }: { items: readonly Overdue[] | null }) {
  const t = useT();
  return (
    <section class="board-panel" aria-labelledby="board-overdue-h" data-testid="board-overdue">
      <h2 id="board-overdue-h">{t('board.overdue')}</h2>
      {items && items.length === 0 && <p class="empty">{t('board.noOverdue')}</p>}
      {items && items.length > 0 && (
        <Table label={t('board.overdue')} testId="board-overdue-table" columns={['board.col.unit', 'board.col.call', 'board.col.onScene', 'board.col.due']}>
          <tbody>
            {items.map((o) => (
              <tr key={o.call_id} data-testid="board-overdue-row" data-call-id={o.call_id}>
                <td>{o.call_sign}</td>
                <td>{`${o.cad_number} · ${o.address}`}</td>
                <td class="when">{formatTime(o.on_scene_since)}</td>
                <td class="when">{formatTime(o.due_at)}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}

/** Open debrief requests in short (a link to their screen), and how many sync entries wait for review. */
export function QueuesPanel({ tick }: { tick: number }) {
  const t = useT();
  const open = useLoad((c) => debriefs.list(c, 'open'), [tick]);
  const review = useLoad((c) => board.review(c), [tick]);
  return (
    <section class="board-panel" aria-labelledby="board-queues-h" data-testid="board-queues">
      <h2 id="board-queues-h">{t('board.queues')}</h2>
      <Problem problem={open.problem ?? review.problem} testId="board-queues-problem" />
      <ul class="plain">
        <li data-testid="board-debriefs">
          <a href="#/debriefs/open" class="btn">
            {t('board.debriefs', { count: open.data?.length ?? 0 })}
          </a>
        </li>
        <li data-testid="board-review">
          {t('board.review', { rejected: review.data?.rejected ?? 0, conflicts: review.data?.conflicts ?? 0 })}
        </li>
      </ul>
    </section>
  );
}

export function DevicesPanel() {
  const t = useT();
  const devices = useLoad((c) => board.devices(c), []);
  const action = useListAction(devices.reload);
  const live = (devices.data ?? []).filter((d) => !d.revoked_at);
  return (
    <section class="board-panel" aria-labelledby="board-devices-h" data-testid="board-devices">
      <h2 id="board-devices-h">{t('board.devices')}</h2>
      <Problem problem={devices.problem ?? action.problem} testId="board-devices-problem" />
      {devices.data && live.length === 0 && <p class="empty">{t('board.noDevices')}</p>}
      {live.length > 0 && (
        <Table label={t('board.devices')} testId="board-devices-table" columns={['board.col.device', 'board.col.unit', 'board.col.lastPerson', 'board.col.lastSeen', ACTIONS]}>
          <tbody>
            {live.map((d) => (
              <DeviceRow key={d.id} d={d} onRevoke={(reason) => action.run((c) => board.revoke(c, d.id, reason))} />
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}

type Revoke = (reason: RevokeReason) => unknown;

function DeviceRow({ d, onRevoke }: { d: Device; onRevoke: Revoke }) {
  const t = useT();
  const [asking, setAsking] = useState<RevokeReason | null>(null);
  return (
    <tr data-testid="board-device" data-device-id={d.id}>
      <td>{d.name}</td>
      <td>{d.unit_call_sign ?? '—'}</td>
      <td>{d.last_user_name ?? '—'}</td>
      <td class="when">{d.last_seen_at ? formatDateTime(d.last_seen_at) : '—'}</td>
      <td>
        {asking ? (
          <span role="group" aria-label={t('board.revokeConfirm', { name: d.name })}>
            {t('board.revokeConfirm', { name: d.name })}{' '}
            <button type="button" class="btn btn-danger" data-testid="device-revoke-confirm" onClick={() => void onRevoke(asking)}>
              {t(asking === 'lost' ? 'board.revokeLost' : 'board.revokeRetired')}
            </button>{' '}
            <button type="button" class="btn" data-testid="device-revoke-cancel" onClick={() => setAsking(null)}>
              {t('board.cancel')}
            </button>
          </span>
        ) : (
          <>
            <button type="button" class="btn" data-testid="device-revoke-lost" onClick={() => setAsking('lost')}>
              {t('board.revokeLost')}
            </button>{' '}
            <button type="button" class="btn" data-testid="device-revoke-retired" onClick={() => setAsking('retired')}>
              {t('board.revokeRetired')}
            </button>
          </>
        )}
      </td>
    </tr>
  );
}
