import { useFieldAlerts } from '../app/fieldAlerts';
import { useNow } from '../app/useNow';
import { useT } from '../i18n';
import { ageMinutes, broadcastAlerts, whereOf } from '../lib/alerts';

/** Ages on screen move on this often. */
const AGE_TICK_MS = 30_000;

/**
 * A request broadcast to everyone: the whole screen, with no way to dismiss it; it goes only when
 * the request is acknowledged, resolved or cancelled. The backup button and the check-in prompt
 * stay above it (a crew in trouble of its own can still ask).
 */
export function BroadcastOverlay() {
  const t = useT();
  const now = useNow(AGE_TICK_MS);
  const open = broadcastAlerts(useFieldAlerts().alerts);
  const first = open[0];
  if (!first) return null;
  return (
    <div class="broadcast" role="alertdialog" aria-modal="true" aria-labelledby="broadcast-title" aria-describedby="broadcast-where" data-testid="broadcast">
      <h1 id="broadcast-title">{t('alerts.broadcastWho', { unit: first.callSign })}</h1>
      <p id="broadcast-where" class="broadcast-where" data-testid="broadcast-where">
        {whereOf(first) ?? t('alerts.nowhere')}
      </p>
      <p>
        {t(first.urgency === 'urgent' ? 'backup.urgent' : 'backup.team')} · {t('alerts.age', { minutes: ageMinutes(first, now) })}
      </p>
      {open.length > 1 && <p>{t('alerts.broadcastMore', { count: open.length - 1 })}</p>}
      <p class="broadcast-stays">{t('alerts.broadcastStays')}</p>
    </div>
  );
}
