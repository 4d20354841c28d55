import { useEffect, useState } from 'preact/hooks';
import { outboxCount, useLiveQuery } from '../db';
import { useT } from '../i18n';
import { applyUpdate, onUpdateChange, updateWaiting } from '../app/swBridge';

/** "Update ready": applies at once when nothing is unsent, otherwise asks first. */
export function UpdateBanner() {
  const t = useT();
  const [ready, setReady] = useState(updateWaiting());
  const [confirming, setConfirming] = useState(false);
  const [dismissed, setDismissed] = useState(false);
  const unsent = useLiveQuery(outboxCount, []) ?? 0;
  useEffect(() => onUpdateChange(() => setReady(updateWaiting())), []);
  if (!ready || dismissed) return null;
  return (
    <div class="banner" role="alert" data-testid="update-banner">
      {confirming ? (
        <>
          <span>{t('update.confirm', { count: unsent })}</span>
          <button type="button" class="btn" data-testid="update-confirm" onClick={applyUpdate}>
            {t('update.yes')}
          </button>
          <button type="button" class="btn btn-ghost" onClick={() => setConfirming(false)}>
            {t('common.cancel')}
          </button>
        </>
      ) : (
        <>
          <strong>{t('update.ready')}</strong>
          <button type="button" class="btn" data-testid="update-apply" onClick={() => (unsent === 0 ? applyUpdate() : setConfirming(true))}>
            {t('update.apply')}
          </button>
          <button type="button" class="btn btn-ghost" data-testid="update-later" onClick={() => setDismissed(true)}>
            {t('update.later')}
          </button>
        </>
      )}
    </div>
  );
}
