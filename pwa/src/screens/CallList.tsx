import { useMemo } from 'preact/hooks';
import { allStatusEvents, listCalls, listPremises, useLiveQuery } from '../db';
import { formatTime, useT } from '../i18n';
import { callAddress, callTitle, hazardsOf, premiseIdOf } from '../app/callView';
import { navigate } from '../app/router';
import { furthest } from '../lib/lifecycle';
import { useSettings } from '../app/settings';

/** My unit's calls: priority (1 first), then received time; hazards visible in the list. */
export default function CallList() {
  const t = useT();
  const { lang } = useSettings();
  const calls = useLiveQuery(listCalls, []);
  const premises = useLiveQuery(listPremises, []);
  const events = useLiveQuery(allStatusEvents, []);
  const premiseById = useMemo(() => new Map((premises ?? []).map((p) => [p.id, p.clear])), [premises]);
  const statusByCall = useMemo(() => {
    const m = new Map<string, unknown[]>();
    for (const e of events ?? []) m.set(e.callId, [...(m.get(e.callId) ?? []), e.clear.status]);
    return m;
  }, [events]);

  if (!calls) return null;
  return (
    <section aria-labelledby="calls-title">
      <h1 id="calls-title">{t('calls.title')}</h1>
      {calls.length === 0 ? (
        <p class="empty" data-testid="calls-empty">
          {t('calls.empty')}
        </p>
      ) : (
        <ul class="call-list" data-testid="call-list">
          {calls.map((c) => {
            const pid = premiseIdOf(c.clear);
            const premise = pid ? premiseById.get(pid) : null;
            const hazards = hazardsOf(c.clear, premise);
            const status = furthest([c.clear.status, ...(statusByCall.get(c.id) ?? [])]);
            return (
              <li key={c.id}>
                <button
                  type="button"
                  class={`call-row prio-${Math.min(c.priority, 4)}`}
                  data-testid="call-row"
                  data-call-id={c.id}
                  onClick={() => navigate(`/call/${encodeURIComponent(c.id)}`)}
                  aria-label={`${t('calls.open')}: ${t('calls.priorityLabel', { n: c.priority })}, ${callTitle(c.clear)} ${callAddress(c.clear, premise)}`}
                >
                  <span class="prio-badge" aria-hidden="true">
                    {t('calls.priority', { n: c.priority })}
                  </span>
                  <span class="call-main">
                    <span class="call-title">{callTitle(c.clear) || callAddress(c.clear, premise)}</span>
                    <span class="call-address">{callAddress(c.clear, premise)}</span>
                    {hazards.length > 0 && (
                      <span class="hazards" data-testid="hazard-alert">
                        {hazards.map((h) => (
                          <span key={h} class="hazard-chip">
                            ⚠ {t('calls.hazard')}: {h}
                          </span>
                        ))}
                      </span>
                    )}
                  </span>
                  <span class="call-side">
                    <span class={`status-chip status-${status ?? 'new'}`} data-testid="call-status">
                      {t(status ? `status.${status}` : 'status.new')}
                    </span>
                    <span class="muted">{t('calls.received', { time: formatTime(c.receivedAt, lang) })}</span>
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
