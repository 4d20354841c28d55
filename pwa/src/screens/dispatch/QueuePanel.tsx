/** The queue: every call not cleared, newest first, one row each (the ages tick once a second). */
import type { BoardUnit } from '../../api/board';
import type { QueueCall } from '../../api/dispatch';
import type { Role } from '../../api/types';
import { useNow } from '../../app/useNow';
import { useT } from '../../i18n';
import { ACTIONS, Table } from '../supply/common';
import { QueueRow } from './QueueRow';
import { AGE_TICK_MS, sortQueue } from './view';

export interface QueueProps {
  calls: readonly QueueCall[] | null;
  units: readonly BoardUnit[];
  role: Role | undefined;
  reload: () => void;
}

export function QueuePanel({ calls, units, role, reload }: QueueProps) {
  const t = useT();
  const now = useNow(AGE_TICK_MS);
  return (
    <section class="board-panel dispatch-queue" aria-labelledby="dispatch-queue-h" data-testid="dispatch-queue">
      <h2 id="dispatch-queue-h">{t('dispatch.queue')}</h2>
      {calls && calls.length === 0 && <p class="empty">{t('dispatch.empty')}</p>}
      {calls && calls.length > 0 && (
        <Table
          label={t('dispatch.queue')}
          testId="dispatch-queue-table"
          columns={['dispatch.col.received', 'dispatch.col.call', 'dispatch.col.status', 'dispatch.col.recommendation', ACTIONS]}
        >
          <tbody>
            {sortQueue(calls).map((c) => (
              <QueueRow key={c.id} call={c} now={now} units={units} role={role} reload={reload} />
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}
