/**
 * The supervisor's and dispatcher's board: open backup requests first (with the broadcast banner),
 * the map, the units, calls past their check-in, the queues and the devices. Kept current by the
 * live stream (a backup.* or checkin.* event reads its panel again) and by polling as the fallback.
 */
import { useEffect, useState } from 'preact/hooks';
import { board } from '../api/board';
import type { ScreenProps } from '../app/areas';
import { openLiveStream } from '../app/live';
import { useSession } from '../app/useSession';
import { useT } from '../i18n';
import type { LiveState } from '../lib/stream';
import { BackupPanel, BroadcastBanner } from './board/BackupPanel';
import { BoardMap } from './board/BoardMap';
import { DevicesPanel, OverduePanel, QueuesPanel, UnitsPanel } from './board/Panels';
import { api, Problem, useLoad } from './supply/common';

/** Polling while the stream is up: a safety net for an event lost between reconnects. */
export const POLL_LIVE_MS = 30_000;
/** Polling while the stream is down: the board's only news then. */
export const POLL_DOWN_MS = 10_000;

export default function Board(_props: ScreenProps) {
  const t = useT();
  // The debrief queue, sync entries and devices are a supervisor's; a dispatcher's board leaves them out.
  const supervisor = useSession()?.user.role === 'supervisor';
  const backups = useLoad((c) => board.openBackups(c), []);
  const overdue = useLoad((c) => board.overdue(c), []);
  const units = useLoad((c) => board.units(c), []);
  const premises = useLoad((c) => board.premises(c), []);
  const basemap = useLoad((c) => board.basemap(c), []);
  const [live, setLive] = useState<LiveState>('connecting');
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let stream: { close(): void } | null = null;
    let gone = false;
    void openLiveStream(
      api(),
      (e) => {
        if (e.type.startsWith('backup.')) {
          backups.reload();
          units.reload();
        } else if (e.type.startsWith('checkin.')) overdue.reload();
        else if (e.type === 'reset') {
          backups.reload();
          overdue.reload();
        }
      },
      setLive,
    ).then((s) => {
      if (gone) s.close();
      else stream = s;
    });
    return () => {
      gone = true;
      stream?.close();
    };
  }, []);

  useEffect(() => {
    const id = setInterval(
      () => {
        backups.reload();
        overdue.reload();
        units.reload();
        setTick((n) => n + 1);
      },
      live === 'open' ? POLL_LIVE_MS : POLL_DOWN_MS,
    );
    return () => clearInterval(id);
  }, [live]);

  const open = backups.data ?? [];
  return (
    <section class="supply board" data-testid="board" data-live={live}>
      <BroadcastBanner requests={open} />
      <header class="row board-head">
        <h1>{t('board.title')}</h1>
        <span class={`pill ${live === 'open' ? 'pill-ok' : 'pill-warn'}`} role="status" data-testid="board-live">
          {t(live === 'open' ? 'board.live' : 'board.reconnecting')}
        </span>
      </header>
      <Problem problem={backups.problem ?? units.problem} testId="board-problem" />
      <BackupPanel requests={backups.data} reload={backups.reload} />
      <section class="board-panel" aria-labelledby="board-map-h">
        <h2 id="board-map-h">{t('board.map')}</h2>
        <Problem problem={premises.problem ?? basemap.problem} testId="board-map-problem" />
        <BoardMap units={units.data ?? []} premises={premises.data ?? []} basemap={basemap.data ?? []} backups={open} />
      </section>
      <UnitsPanel units={units.data} />
      <OverduePanel items={overdue.data} />
      {supervisor && <QueuesPanel tick={tick} />}
      {supervisor && <DevicesPanel />}
    </section>
  );
}
