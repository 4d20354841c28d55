import { useEffect, useState } from 'preact/hooks';
import { lastReceipt, outboxCount, useLiveQuery } from '../db';
import { formatDateTime, useT } from '../i18n';
import { getSyncState, onSyncState, type SyncState } from '../sync/status';
import { scheduler } from '../app/runtime';
import { navigate } from '../app/router';
import { useSettings } from '../app/settings';
import { storageInfo } from '../app/storageGuard';
import { TrackingStatus } from './TrackingStatus';

function useSyncState(): SyncState {
  const [s, set] = useState(getSyncState());
  useEffect(() => onSyncState(set), []);
  return s;
}

/** Always visible: unsent count, last server receipt, progress, and problems in plain words. */
export function StatusBar({ onSignIn }: { onSignIn: () => void }) {
  const t = useT();
  const { lang } = useSettings();
  const unsent = useLiveQuery(outboxCount, []) ?? 0;
  const receipt = useLiveQuery(lastReceipt, []);
  const s = useSyncState();
  const [storageWarn, setStorageWarn] = useState(false);
  useEffect(() => {
    void storageInfo().then((i) => setStorageWarn(i.persisted === false || !i.installed || i.low));
  }, [receipt]);
  let progress = '';
  if (s.running) {
    progress = s.phase === 'pull' ? (s.total ? t('sync.pulling', { done: s.done, total: s.total }) : t('sync.pullingNoTotal', { done: s.done })) : t('sync.pushing');
  }
  const problemKey = s.problem ? (`sync.${s.problem}` as const) : null;
  return (
    <div class={`statusbar ${s.problem ? 'has-problem' : ''}`} role="status" aria-live="polite" data-testid="sync-status">
      <span class={`pill ${unsent ? 'pill-warn' : 'pill-ok'}`} data-testid="unsent-count" data-count={unsent}>
        {unsent ? t('sync.unsent', { count: unsent }) : t('sync.allSent')}
      </span>
      <TrackingStatus />
      <span class="receipt" data-testid="last-receipt">
        {receipt ? t('sync.lastReceipt', { time: formatDateTime(receipt, lang) }) : t('sync.never')}
      </span>
      {s.running && (
        <span class="progress" data-testid="sync-progress">
          {s.phase === 'pull' && s.total ? <progress max={s.total} value={s.done} /> : <span class="spinner" aria-hidden="true" />}
          {progress}
        </span>
      )}
      {problemKey && !s.running && (
        <span class="problem" data-testid="sync-error" data-problem={s.problem}>
          {t(problemKey)}
          {s.problem === 'signin' && (
            <button type="button" class="link" data-testid="sync-signin" onClick={onSignIn}>
              {t('sync.signinAction')}
            </button>
          )}
        </span>
      )}
      <span class="spacer" />
      <button type="button" class="btn btn-small" data-testid="sync-now" disabled={s.running} onClick={() => void scheduler.syncNow()}>
        {t('sync.now')}
      </button>
      {storageWarn && (
        <button
          type="button"
          class="btn btn-small btn-warn"
          data-testid="storage-warning"
          aria-label={t('storage.warnBadge')}
          onClick={() => navigate('/storage')}
        >
          ⚠ <span class="hidden-narrow">{t('storage.warnBadge')}</span>
        </button>
      )}
    </div>
  );
}
