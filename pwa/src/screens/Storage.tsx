import { useEffect, useState } from 'preact/hooks';
import { recordCounts, useLiveQuery } from '../db';
import { useT } from '../i18n';
import { formatBytes, requestPersist, storageInfo, type StorageInfo } from '../app/storageGuard';
import { scheduler } from '../app/runtime';
import type { RebuildOutcome } from '../sync/scheduler';
import { clearDecryptCache } from '../app/useOpened';

const REBUILD_MESSAGES = {
  done: 'storage.rebuilt',
  offline: 'storage.rebuildOffline',
  signin: 'storage.rebuildSignin',
  failed: 'storage.rebuildFailed',
} as const satisfies Record<RebuildOutcome, string>;

/** Storage guard: persistence, estimate, installed or not, low space, and "Rebuild from server". */
export default function Storage() {
  const t = useT();
  const [info, setInfo] = useState<StorageInfo | null>(null);
  const [confirm, setConfirm] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);
  const counts = useLiveQuery(recordCounts, []);
  const refresh = () => void storageInfo().then(setInfo);
  useEffect(() => {
    void requestPersist().then(refresh);
  }, []);

  const rebuild = async () => {
    setConfirm(false);
    setMsg(t('storage.rebuilding'));
    const outcome = await scheduler.rebuildNow();
    if (outcome === 'done') clearDecryptCache();
    setMsg(t(REBUILD_MESSAGES[outcome]));
    refresh();
  };

  return (
    <section>
      <h1>{t('storage.title')}</h1>
      {info && (
        <div class="card" data-testid="storage-info" data-persisted={String(info.persisted)} data-installed={String(info.installed)}>
          <p class={info.persisted ? 'ok' : 'notice notice-warn'} data-testid="storage-persisted">
            {info.persisted ? t('storage.persistent') : t('storage.notPersistent')}
          </p>
          {!info.persisted && (
            <button type="button" class="btn" data-testid="storage-persist" onClick={() => void requestPersist().then(refresh)}>
              {t('storage.askPersist')}
            </button>
          )}
          <p data-testid="storage-estimate">
            {info.usage !== null ? t('storage.used', { used: formatBytes(info.usage), quota: formatBytes(info.quota) }) : t('storage.unknown')}
          </p>
          {info.quota !== null && info.usage !== null && <meter min={0} max={info.quota} value={info.usage} high={info.quota * 0.9} />}
          {info.low && (
            <p class="notice notice-error" data-testid="storage-low">
              {t('storage.low')}
            </p>
          )}
          <p class={info.installed ? 'ok' : 'notice notice-warn'} data-testid="storage-installed">
            {info.installed ? t('storage.installed') : t('storage.notInstalled')}
          </p>
        </div>
      )}
      {counts && (
        <p class="muted" data-testid="storage-counts">
          {t('storage.records', { calls: counts.calls ?? 0, notes: counts.notes ?? 0, outbox: counts.outbox ?? 0, points: counts.locationPoints ?? 0 })}
        </p>
      )}
      <div class="card">
        <h2>{t('storage.rebuild')}</h2>
        <p class="muted">{t('storage.rebuildHelp')}</p>
        {confirm ? (
          <div class="row">
            <span>{t('storage.rebuildConfirm')}</span>
            <button type="button" class="btn btn-danger" data-testid="rebuild-confirm" onClick={() => void rebuild()}>
              {t('common.yes')}
            </button>
            <button type="button" class="btn btn-ghost" onClick={() => setConfirm(false)}>
              {t('common.cancel')}
            </button>
          </div>
        ) : (
          <button type="button" class="btn" data-testid="rebuild" onClick={() => setConfirm(true)}>
            {t('storage.rebuild')}
          </button>
        )}
        {msg && (
          <p class="muted" role="status" data-testid="rebuild-status">
            {msg}
          </p>
        )}
      </div>
    </section>
  );
}
