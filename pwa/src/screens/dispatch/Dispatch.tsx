/**
 * The dispatcher's and diversion clinician's desk (online): the queue of calls not cleared, each
 * with its recommendation and reason and the acts on it, and the units beside it. Kept current by
 * the live stream's call events and by polling as the fallback.
 */
import { useCallback } from 'preact/hooks';
import { board } from '../../api/board';
import { dispatch } from '../../api/dispatch';
import type { ScreenProps } from '../../app/areas';
import { useSession } from '../../app/useSession';
import { useT } from '../../i18n';
import { Problem, useLoad } from '../supply/common';
import { QueuePanel } from './QueuePanel';
import { UnitList } from './UnitList';
import { useQueueFeed } from './useQueueFeed';

export default function Dispatch(_props: ScreenProps) {
  const t = useT();
  const role = useSession()?.user.role;
  const queue = useLoad((c) => dispatch.queue(c), []);
  const units = useLoad((c) => board.units(c), []);
  const reload = useCallback(() => {
    queue.reload();
    units.reload();
  }, []);
  const live = useQueueFeed(reload);
  return (
    <section class="supply board dispatch" data-testid="dispatch" data-live={live}>
      <header class="row board-head">
        <h1>{t('dispatch.title')}</h1>
        <span class={`pill ${live === 'open' ? 'pill-ok' : 'pill-warn'}`} role="status" data-testid="dispatch-live">
          {t(live === 'open' ? 'dispatch.live' : 'dispatch.reconnecting')}
        </span>
      </header>
      <Problem problem={queue.problem} testId="dispatch-problem" />
      <div class="dispatch-layout">
        <QueuePanel calls={queue.data} units={units.data ?? []} role={role} reload={reload} />
        <UnitList units={units.data} problem={units.problem} />
      </div>
    </section>
  );
}
