import { dismissBanner, useFieldAlerts } from '../app/fieldAlerts';
import { useNow } from '../app/useNow';
import { useT } from '../i18n';
import { ageMinutes, bannerAlerts, whereOf } from '../lib/alerts';

/** Ages on screen move on this often. */
const AGE_TICK_MS = 30_000;

/** A banner per other unit's open request or escalation, each dismissed on its own (the next escalation shows again). */
export function BackupAlerts() {
  const t = useT();
  const now = useNow(AGE_TICK_MS);
  const banners = bannerAlerts(useFieldAlerts().alerts);
  if (!banners.length) return null;
  return (
    <div class="backup-alerts" data-testid="backup-alerts">
      {banners.map((a) => (
        <div key={a.eventId} class={`banner backup-alert urgency-${a.urgency}`} role="alert" data-testid="backup-alert">
          <strong>{t(a.kind === 'escalated' ? 'alerts.escalated' : 'alerts.requested', { unit: a.callSign })}</strong>
          <span>{whereOf(a) ?? t('alerts.nowhere')}</span>
          <span>{t(a.urgency === 'urgent' ? 'backup.urgent' : 'backup.team')}</span>
          <span>{t('alerts.age', { minutes: ageMinutes(a, now) })}</span>
          <button type="button" class="btn btn-ghost btn-small" data-testid="backup-alert-dismiss" onClick={() => dismissBanner(a)}>
            {t('alerts.dismiss')}
          </button>
        </div>
      ))}
    </div>
  );
}
