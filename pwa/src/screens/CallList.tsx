import { useEffect, useMemo, useState } from 'preact/hooks';
import { allStatusEvents, conflictFieldsByCall, listCalls, listPremises, useLiveQuery, type CallRow } from '../db';
import { formatDateTime, formatTime, useT } from '../i18n';
import { callAddress, callTitle, hazardsOf, premiseIdOf, premiseSummaryOf, statusFactOf, type Data } from '../app/callView';
import { navigate } from '../app/router';
import { callStatus, isClosed, type LifecycleStatus, type StatusFact } from '../lib/lifecycle';
import { useSettings } from '../app/settings';
import { milestone } from '../lib/milestones';

const isToday = (iso: string) => new Date(iso).toDateString() === new Date().toDateString();

/**
 * Rows drawn at first and added by each "Show more": two screenfuls (a 1280 px tablet shows
 * about a dozen rows), while drawing a shift's 1,000 calls at once took most of a second.
 */
const LIST_PAGE = 25;

/** My unit's calls: open ones by priority (1 first) then received time, hazards visible; cleared ones folded below. */
export default function CallList() {
  const t = useT();
  const [showCleared, setShowCleared] = useState(false);
  useEffect(() => milestone('calls:screen'), []);
  const calls = useLiveQuery(listCalls, []);
  const premises = useLiveQuery(listPremises, []);
  const events = useLiveQuery(allStatusEvents, []);
  const conflicts = useLiveQuery(conflictFieldsByCall, []);
  const premiseById = useMemo(() => new Map((premises ?? []).map((p) => [p.id, p.clear])), [premises]);
  const statusOf = useMemo(() => {
    const m = new Map<string, StatusFact[]>();
    for (const e of events ?? []) m.set(e.callId, [...(m.get(e.callId) ?? []), statusFactOf(e)]);
    return (c: CallRow) => callStatus(c.clear.status, m.get(c.id) ?? []);
  }, [events]);
  useEffect(() => {
    if (calls && premises && events) milestone('calls:drawn');
  }, [calls, premises, events]);

  // Drawn once the statuses and premises are open too: never a cleared call among the open ones, never a row without its premise's hazards.
  if (!calls || !premises || !events) return null;
  const open = calls.filter((c) => !isClosed(statusOf(c)));
  const cleared = calls.filter((c) => isClosed(statusOf(c)));
  const row = (c: CallRow) => {
    const pid = premiseIdOf(c.clear);
    return <CallItem key={c.id} call={c} premise={pid ? premiseById.get(pid) : null} status={statusOf(c)} conflict={conflicts?.has(c.id) ?? false} />;
  };

  return (
    <section aria-labelledby="calls-title">
      <h1 id="calls-title">{t('calls.title')}</h1>
      {open.length === 0 ? (
        <p class="empty" data-testid="calls-empty">
          {calls.length ? t('calls.noActive') : t('calls.empty')}
        </p>
      ) : (
        <PagedList calls={open} row={row} class="call-list" testId="call-list" />
      )}
      {cleared.length > 0 && (
        <div class="cleared-section">
          <button type="button" class="btn btn-ghost" aria-expanded={showCleared} data-testid="toggle-cleared" onClick={() => setShowCleared(!showCleared)}>
            {showCleared ? t('calls.hideCleared') : t('calls.showCleared', { count: cleared.length })}
          </button>
          {showCleared && <PagedList calls={cleared} row={row} class="call-list cleared" testId="cleared-list" label={t('calls.clearedTitle', { count: cleared.length })} />}
        </div>
      )}
    </section>
  );
}

/** The first LIST_PAGE calls, then LIST_PAGE more at each "Show more" (a long list costs its first page only). */
function PagedList({
  calls,
  row,
  class: className,
  testId,
  label,
}: {
  calls: CallRow[];
  row: (c: CallRow) => preact.JSX.Element;
  class: string;
  testId: string;
  label?: string;
}) {
  const t = useT();
  const [shown, setShown] = useState(LIST_PAGE);
  const left = calls.length - shown;
  return (
    <>
      <ul class={className} data-testid={testId} aria-label={label}>
        {calls.slice(0, shown).map(row)}
      </ul>
      {left > 0 && (
        <button type="button" class="btn btn-ghost btn-wide" data-testid={`${testId}-more`} onClick={() => setShown(shown + LIST_PAGE)}>
          {t('calls.more', { count: Math.min(left, LIST_PAGE), left })}
        </button>
      )}
    </>
  );
}

function CallItem({
  call: c,
  premise,
  status,
  conflict,
}: {
  call: CallRow;
  premise: Data | null | undefined;
  status: LifecycleStatus | null;
  conflict: boolean;
}) {
  const t = useT();
  const { lang } = useSettings();
  const hazards = hazardsOf(c.clear, premise);
  const summary = premiseSummaryOf(premise);
  const title = callTitle(c.clear) || callAddress(c.clear, premise);
  const received = c.receivedAt && isToday(c.receivedAt) ? formatTime(c.receivedAt, lang) : formatDateTime(c.receivedAt, lang);
  return (
    <li>
      <button
        type="button"
        class={`call-row prio-${Math.min(c.priority, 4)}`}
        data-testid="call-row"
        data-call-id={c.id}
        data-priority={c.priority}
        onClick={() => navigate(`/call/${encodeURIComponent(c.id)}`)}
      >
        <span class="prio-badge" aria-label={t('calls.priorityLabel', { n: c.priority })}>
          {t('calls.priority', { n: c.priority })}
        </span>
        <span class="call-main">
          <span class="call-title">{title}</span>
          <span class="call-address">{callAddress(c.clear, premise)}</span>
          {(hazards.length > 0 || (summary?.weaponCalls ?? 0) > 0) && (
            <span class="hazards" data-testid="hazard-alert">
              {summary && summary.weaponCalls > 0 && (
                <span class="hazard-chip" data-testid="premise-weapon-calls">
                  ⚠ {t('call.weaponCallsHere', { count: summary.weaponCalls, days: summary.days })}
                </span>
              )}
              {hazards.map((h) => (
                <span key={h} class="hazard-chip">
                  ⚠ {t('calls.hazard')}: {h}
                </span>
              ))}
            </span>
          )}
        </span>
        <span class="call-side">
          <span class={`status-chip status-${status ?? 'received'}`} data-testid="call-status" data-status={status ?? ''}>
            {t(`status.${status ?? 'received'}`)}
          </span>
          <span class="muted">{t('calls.received', { time: received })}</span>
          {conflict && (
            <span class="pill pill-warn pill-tiny" data-testid="call-conflict">
              ⚖ {t('calls.conflict')}
            </span>
          )}
        </span>
      </button>
    </li>
  );
}
