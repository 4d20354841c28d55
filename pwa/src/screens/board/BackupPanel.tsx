/**
 * The board's open backup requests: who, where, how urgent, how long ago (ticking), the escalation
 * tier and how many people it reached; acknowledge, or resolve with a reason. Above the board, a
 * banner for a request broadcast to everyone that stays until someone acknowledges or closes it.
 */
import { useEffect, useState } from 'preact/hooks';
import { board, type BackupRequest } from '../../api/board';
import { formatTime, useT } from '../../i18n';
import { FieldError, Problem, errorsOf, useListAction } from '../supply/common';
import { ageText, isBroadcast } from './view';

/** The clock the ages tick on, once a second. */
export function useNow(stepMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), stepMs);
    return () => clearInterval(id);
  }, [stepMs]);
  return now;
}

export function BroadcastBanner({ requests }: { requests: readonly BackupRequest[]; }) {
  const t = useT();
  const loud = requests.filter(isBroadcast);
  if (loud.length === 0) return null;
  return (
    <div class="notice notice-error board-broadcast" role="alert" data-testid="board-broadcast">
      <strong>{t('board.broadcast')}</strong>{' '}
      {loud.map((r) => t('board.broadcastOf', { unit: r.call_sign, address: r.address ?? t('board.noAddress') })).join(' · ')}{' '}
      <a href={`#backup-${loud[0]!.id}`}>{t('board.broadcastGo')}</a>
    </div>
  );
}

export function BackupPanel({ requests, reload }: { requests: readonly BackupRequest[] | null; reload: () => void }) {
  const t = useT();
  const now = useNow();
  return (
    <section class="board-panel" aria-labelledby="board-backups-h" data-testid="board-backups">
      <h2 id="board-backups-h">{t('board.backups')}</h2>
      {requests && requests.length === 0 && <p class="empty">{t('board.noBackups')}</p>}
      <ul class="plain supply-cards">
        {(requests ?? []).map((r) => (
          <BackupItem key={r.id} r={r} now={now} reload={reload} />
        ))}
      </ul>
    </section>
  );
}

function BackupItem({ r, now, reload }: { r: BackupRequest; now: number; reload: () => void }) {
  const t = useT();
  const action = useListAction(reload);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const errors = errorsOf(action.problem);
  const run = async (call: Parameters<typeof action.run>[0]) => {
    setBusy(true);
    await action.run(call);
    setBusy(false);
  };
  const reasonId = `backup-reason-${r.id}`;
  return (
    <li id={`backup-${r.id}`} class={`card board-backup urgency-${r.urgency}`} data-testid="board-backup" data-backup-id={r.id} data-state={r.state}>
      <strong>
        {r.call_sign} · {t(r.urgency === 'urgent' ? 'board.urgent' : 'board.team')}
      </strong>
      <p>{r.address ?? t('board.noAddress')}</p>
      <p class="muted">
        <span data-testid="backup-age">{t('board.age', { age: ageText(r.received_at, now) })}</span> · <span data-testid="backup-state">{t(`board.state.${r.state}` as 'board.state.open')}</span> ·{' '}
        <span data-testid="backup-tier">{t('board.tier', { tier: r.tier_name })}</span> · <span data-testid="backup-delivered">{t('board.delivered', { count: r.delivered_to })}</span>
      </p>
      {r.note && <p>{r.note}</p>}
      {r.acknowledged_by ? (
        <p data-testid="backup-acknowledged">{t('board.acknowledgedBy', { who: r.acknowledged_by.name, when: formatTime(r.acknowledged_at) })}</p>
      ) : (
        <button type="button" class="btn btn-primary" data-testid="backup-acknowledge" disabled={busy} onClick={() => void run((c) => board.acknowledge(c, r.id))}>
          {t('board.acknowledge')}
        </button>
      )}
      <form
        class="row"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void run((c) => board.resolve(c, r.id, reason.trim()));
        }}
      >
        <label for={reasonId} class="sr-only">
          {t('board.reason')}
        </label>
        <input id={reasonId} type="text" data-testid="backup-reason" placeholder={t('board.reason')} value={reason} maxLength={300} aria-invalid={errors.reason ? true : undefined} onInput={(e) => setReason(e.currentTarget.value)} />
        <button type="submit" class="btn" data-testid="backup-resolve" disabled={busy}>
          {t('board.resolve')}
        </button>
      </form>
      <FieldError errors={errors} name="reason" />
      <Problem problem={action.problem?.kind === 'fields' ? null : action.problem} testId="backup-problem" />
    </li>
  );
}
