/** The units beside the queue: status, crew on shift, and how old their last position is. */
import type { BoardUnit } from '../../api/board';
import { useNow } from '../../app/useNow';
import { useT } from '../../i18n';
import { statusText } from '../board/BoardMap';
import { ageText } from '../board/view';
import { Problem, Table } from '../supply/common';
import type { Failure } from '../supply/view';
import { AGE_TICK_MS, unitChoices } from './view';

export function UnitList({ units, problem }: { units: readonly BoardUnit[] | null; problem: Failure | null }) {
  const t = useT();
  const now = useNow(AGE_TICK_MS);
  return (
    <section class="board-panel dispatch-units" aria-labelledby="dispatch-units-h" data-testid="dispatch-units">
      <h2 id="dispatch-units-h">{t('dispatch.units')}</h2>
      <Problem problem={problem} testId="dispatch-units-problem" />
      {units && units.length === 0 && <p class="empty">{t('dispatch.noUnits')}</p>}
      {units && units.length > 0 && (
        <Table label={t('dispatch.units')} testId="dispatch-units-table" columns={['dispatch.col.unit', 'dispatch.col.crew']}>
          <tbody>
            {unitChoices(units).map((u) => (
              <tr key={u.unit_id} data-testid="dispatch-unit" data-unit-id={u.unit_id} data-status={u.status}>
                <th scope="row">
                  <span class="block">{u.call_sign}</span>
                  <span class="block dispatch-type" data-testid="unit-status">
                    {statusText(t, u.status)}
                  </span>
                  <span class="block dispatch-type muted" data-testid="unit-position-age">
                    {u.position ? t('dispatch.positionAge', { age: ageText(u.position.at, now) }) : t('dispatch.noPosition')}
                  </span>
                </th>
                <td>{u.crew.map((c) => c.name).join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}
