/**
 * What a queued call says at a glance: its marks (weapon, violence, updated by the CAD, unmapped type,
 * not eligible once triaged) and its recommendation with the reason.
 */
import type { QueueCall, Recommendation } from '../../api/dispatch';
import { useSettings } from '../../app/settings';
import { useT, type Key } from '../../i18n';
import { distanceText, isHeartResponse, reasonLabel, recentlyUpdated, responseLabel } from './view';

function Mark({ text, tone, testId }: { text: Key; tone: 'danger' | 'warn' | 'plain'; testId: string }) {
  const t = useT();
  return (
    <span class={`pill pill-tiny${tone === 'plain' ? '' : ` pill-${tone}`}`} data-testid={testId}>
      {t(text)}
    </span>
  );
}

export function CallMarks({ call, now }: { call: QueueCall; now: number }) {
  return (
    <span class="dispatch-marks">
      {call.weapon && <Mark text="dispatch.badge.weapon" tone="danger" testId="mark-weapon" />}
      {call.violence && <Mark text="dispatch.badge.violence" tone="danger" testId="mark-violence" />}
      {recentlyUpdated(call, now) && <Mark text="dispatch.badge.updated" tone="warn" testId="mark-updated" />}
      {call.unmapped && <Mark text="dispatch.badge.unmapped" tone="warn" testId="mark-unmapped" />}
      {!call.eligible && !call.unmapped && call.recommendation && <Mark text="dispatch.badge.notEligible" tone="plain" testId="mark-not-eligible" />}
    </span>
  );
}

/** The recommended program (or police/EMS) and unit, how far it is, the reason code, and the server's sentence as given. */
export function RecommendationView({ rec }: { rec: Recommendation | null }) {
  const t = useT();
  const { lang } = useSettings();
  if (!rec) return <span class="muted">{t('dispatch.noRecommendation')}</span>;
  const distance = distanceText(rec.distance_m, lang);
  return (
    <div class="dispatch-rec" data-testid="dispatch-rec" data-response={rec.response} data-reason-code={rec.reason_code ?? ''}>
      <span class="dispatch-marks">
        <span class={`pill ${isHeartResponse(rec.response) ? 'pill-ok' : 'pill-warn'}`} data-testid="rec-response">
          {responseLabel(t, rec.response)}
        </span>
        {rec.reason_code && (
          <span class="pill pill-tiny pill-warn" data-testid="rec-reason-code">
            {reasonLabel(t, rec.reason_code)}
          </span>
        )}
      </span>
      {rec.call_sign && (
        <span class="block">
          <strong data-testid="rec-unit">{t('dispatch.recommendedUnit', { unit: rec.call_sign })}</strong>
          {distance && <span class="muted"> · {t('dispatch.away', { distance })}</span>}
        </span>
      )}
      <span class="block dispatch-reason" data-testid="rec-reason">
        {rec.reason}
      </span>
    </div>
  );
}
