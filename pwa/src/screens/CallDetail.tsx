import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { maxLength, type CallEditableField } from '../api/facts';
import { CALL_STATUSES, type CallStatus } from '../api/types';
import { getSession } from '../crypto/session';
import {
  NOTE_MAX_CHARS,
  addNote,
  conflictFieldsByCall,
  getCall,
  getPremise,
  harmReductionFor,
  notesFor,
  recordStatus,
  statusEventsFor,
  updateCall,
  useLiveQuery,
  withdrawStatus,
  type CallRow,
  type StatusEventRow,
} from '../db';
import { unsentRecordIds } from '../db';
import { formatDateTime, formatTime, useT } from '../i18n';
import { callAddress, callTitle, hazardsOf, historyOf, premiseIdOf, premiseSummaryOf, statusFactOf } from '../app/callView';
import { STATUS_UNDO_MINUTES, callStatus, offeredTaps, outOfOrder, rank, standing, undoableTap, withdrawnIds } from '../lib/lifecycle';
import { useNow } from '../app/useNow';
import { afterCapture } from '../app/runtime';
import { navigate } from '../app/router';
import { useOpened } from '../app/useOpened';
import type { ScreenProps } from '../app/areas';
import { useSettings } from '../app/settings';
import { useSurveysOwed } from '../app/surveys';
import { surveyGate } from '../lib/fieldLogs';
import { ReferFromCall } from './care/ReferFromCall';
import { dispositionEdit, dispositionLabel, offered } from '../lib/dispositions';
import { useDispositions } from '../app/dispositions';

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));
// How often the call screen looks again whether the last tap may still be undone.
const UNDO_RECHECK_MS = 10_000;

/** One call: narrative, premise history and hazards first; then status, notes, disposition. */
export default function CallDetail({ param }: ScreenProps) {
  const id = decodeURIComponent(param);
  const t = useT();
  const { lang } = useSettings();
  const call = useLiveQuery(() => getCall(id).then((c) => c ?? null), [id]);
  const pid = call ? premiseIdOf(call.clear) : null;
  const premiseRow = useLiveQuery(() => (pid ? getPremise(pid).then((p) => p ?? null) : Promise.resolve(null)), [pid]);
  const events = useLiveQuery(() => statusEventsFor(id), [id]);
  const noteRows = useLiveQuery(() => notesFor(id), [id]);
  const unsentIds = useLiveQuery(unsentRecordIds, []);
  const conflictFields = useLiveQuery(() => conflictFieldsByCall().then((m) => m.get(id) ?? new Set<string>()), [id]);
  const callRows = useMemo(() => (call ? [call] : undefined), [call]);
  const premiseRows = useMemo(() => (premiseRow ? [premiseRow] : undefined), [premiseRow]);
  const opened = useOpened(callRows);
  const premiseOpened = useOpened(premiseRows);
  const notes = useOpened(noteRows);
  const [confirming, setConfirming] = useState(false);
  const confirmNo = useRef<HTMLButtonElement>(null);
  // Before the paint, so the question is never on screen without the focus on "not yet" (the
  // safe answer): a tap that lands as it appears cannot hit whatever held the focus before.
  useLayoutEffect(() => {
    if (confirming) confirmNo.current?.focus();
  }, [confirming]);
  const now = useNow(UNDO_RECHECK_MS);
  const owed = useSurveysOwed();

  if (call === undefined) return null;
  if (call === null)
    return (
      <section>
        <button type="button" class="btn btn-ghost" onClick={() => navigate('/calls')}>
          ← {t('call.back')}
        </button>
        <p class="empty">{t('call.notFound')}</p>
      </section>
    );
  const data = opened?.[0] ?? call.clear;
  const premise = premiseOpened?.[0] ?? premiseRow?.clear ?? null;
  const hazards = hazardsOf(call.clear, premiseRow?.clear);
  const history = historyOf(premise, call.id);
  const summary = premiseSummaryOf(premise);
  const facts = (events ?? []).map(statusFactOf);
  const status = callStatus(call.clear.status, facts);
  const live = new Set(standing(facts).map((f) => f.id));
  const offered = new Set<CallStatus>(offeredTaps(CALL_STATUSES, status));
  const undo = undoableTap(facts, getSession()?.user.id ?? null, now);
  const record = (s: CallStatus) => recordStatus(getSession()?.dataKey ?? null, call.rawId, s).then(afterCapture);
  const tap = (s: CallStatus) => void record(s);
  // Clearing opens the post-call survey; until it is answered or skipped, this person's next call waits.
  const clear = () => void record('cleared').then(() => navigate(`/survey/${encodeURIComponent(call.id)}`));
  const gatedBy = (s: CallStatus) => surveyGate(call.id, s, owed);
  // The survey owed that holds back a tap offered now (the message shows only then).
  const gate = [...offered].map(gatedBy).find((g) => g !== null) ?? null;
  // Each state's first trusted time, else its first uncertain one (the server's status_times rule).
  const firstOf = (s: CallStatus) => {
    const reached = (events ?? [])
      .filter((e) => live.has(e.id) && e.clear.status === s)
      .sort((a, b) => str(a.clear.at).localeCompare(str(b.clear.at)));
    return reached.find((e) => !e.clear.time_uncertain) ?? reached[0];
  };
  const timeOf = (s: CallStatus) => {
    const e = firstOf(s);
    return e ? str(e.clear.at ?? e.clear.device_time) : undefined;
  };

  return (
    <article class="call-detail" data-testid="call-detail" data-call-id={call.id}>
      <button type="button" class="btn btn-ghost back" data-testid="call-back" onClick={() => navigate('/calls')}>
        ← {t('call.back')}
      </button>
      {conflictFields && conflictFields.size > 0 && (
        <p class="notice notice-warn" role="alert" data-testid="call-conflict-banner">
          {t('call.conflictBanner')}{' '}
          <a href="#/review" data-testid="call-conflict-review">
            {t('call.conflictReview')}
          </a>
        </p>
      )}
      {typeof call.clear.cad_updated_at === 'string' && (
        <p class="notice notice-info" role="status" data-testid="call-cad-updated">
          {t('call.cadUpdated', { time: formatDateTime(call.clear.cad_updated_at, lang) })}
        </p>
      )}
      {(call.clear.weapon === true || call.clear.violence === true) && (
        <p class="notice notice-warn" role="alert" data-testid="call-safety-flags">
          {[call.clear.weapon === true ? t('call.weaponFlag') : '', call.clear.violence === true ? t('call.violenceFlag') : '']
            .filter(Boolean)
            .join(' · ')}
        </p>
      )}
      <header class="call-head">
        <span class={`prio-badge prio-${Math.min(call.priority, 4)}`}>{t('calls.priority', { n: call.priority })}</span>
        <div>
          <h1>{callTitle(call.clear) || callAddress(call.clear, premiseRow?.clear)}</h1>
          <p class="muted">
            {call.clear.cad_number ? `#${str(call.clear.cad_number)} · ` : ''}
            {callAddress(call.clear, premiseRow?.clear)} · {t('calls.received', { time: formatDateTime(call.receivedAt, lang) })}
          </p>
        </div>
      </header>

      <div class="first-facts">
        <section class={`card hazards-card ${hazards.length || summary?.weaponCalls ? 'has-hazards' : ''}`} data-testid="call-hazards">
          <h2>⚠ {t('call.hazards')}</h2>
          {summary && summary.calls > 0 && (
            <p class={summary.weaponCalls ? 'premise-summary strong' : 'premise-summary muted'} data-testid="premise-summary">
              {summary.weaponCalls
                ? t('call.weaponCallsHere', { count: summary.weaponCalls, days: summary.days })
                : t('call.callsHere', { count: summary.calls, days: summary.days })}
            </p>
          )}
          {hazards.length ? (
            <ul>
              {hazards.map((h) => (
                <li key={h}>{h}</li>
              ))}
            </ul>
          ) : (
            <p class="muted">{t('call.noHazards')}</p>
          )}
        </section>
        <section class="card" data-testid="call-narrative">
          <h2>{t('call.narrative')}</h2>
          <p class="narrative">{str(data.narrative) || t('call.noNarrative')}</p>
        </section>
        <section class="card" data-testid="premise-history">
          <h2>{t('call.premise')}</h2>
          {history.length ? (
            <ul class="history">
              {history.map((h, i) => (
                <li key={i}>
                  {h.when && <span class="muted">{formatDateTime(h.when, lang)} · </span>}
                  {h.text}
                  {h.status && <span class="muted"> — {t(`status.${h.status}`)}</span>}
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">{t('call.noHistory')}</p>
          )}
        </section>
      </div>

      <section class="card" aria-labelledby="status-title">
        <h2 id="status-title">{t('call.statusTitle')}</h2>
        <div class="status-buttons">
          {CALL_STATUSES.map((s) => {
            const done = rank(status) >= rank(s);
            return (
              <button
                key={s}
                type="button"
                class={`btn status-btn ${done ? 'done' : ''} ${status === s ? 'current' : ''}`}
                aria-pressed={done}
                disabled={!offered.has(s) || confirming || gatedBy(s) !== null}
                data-testid={`status-${s}`}
                onClick={() => (s === 'cleared' ? setConfirming(true) : tap(s))}
              >
                <span>{t(`status.${s}`)}</span>
                {timeOf(s) && (
                  <small data-testid={`status-${s}-time`}>
                    {firstOf(s)?.clear.time_uncertain ? (
                      <>
                        <span aria-hidden="true" title={t('call.timeUncertain')}>
                          ≈{' '}
                        </span>
                        <span class="sr-only">{t('call.timeUncertain')}</span>
                      </>
                    ) : null}
                    {formatTime(timeOf(s)!, lang)}
                  </small>
                )}
                {firstOf(s)?.clear.author_name ? (
                  <small class="status-by" data-testid={`status-${s}-by`}>
                    {str(firstOf(s)!.clear.author_name)}
                  </small>
                ) : null}
              </button>
            );
          })}
        </div>
        {gate && (
          <p class="notice notice-warn" role="alert" data-testid="survey-gate">
            {t('survey.gate')}{' '}
            <a href={`#/survey/${encodeURIComponent(gate)}`} data-testid="survey-gate-open">
              {t('survey.gateOpen')}
            </a>
          </p>
        )}
        {confirming && (
          <div class="notice notice-warn confirm" role="alertdialog" aria-labelledby="confirm-cleared-text" data-testid="confirm-cleared">
            <p id="confirm-cleared-text">{t('call.confirmCleared')}</p>
            <div class="row">
              <button
                type="button"
                class="btn btn-primary"
                data-testid="confirm-cleared-yes"
                onClick={() => {
                  setConfirming(false);
                  clear();
                }}
              >
                {t('call.confirmClearedYes')}
              </button>
              <button type="button" class="btn" ref={confirmNo} data-testid="confirm-cleared-no" onClick={() => setConfirming(false)}>
                {t('call.confirmClearedNo')}
              </button>
            </div>
          </div>
        )}
        {undo && !confirming && (
          <p class="undo-row">
            <button
              type="button"
              class="btn btn-ghost"
              data-testid="status-undo"
              onClick={() => void withdrawStatus(getSession()?.dataKey ?? null, call.rawId, { id: undo.id, status: undo.status as CallStatus }).then(afterCapture)}
            >
              ↶ {t('call.undoStatus', { status: t(`status.${undo.status as CallStatus}`) })}
            </button>{' '}
            <small class="muted">{t('call.undoHint', { minutes: STATUS_UNDO_MINUTES })}</small>
          </p>
        )}
        <StatusRecord events={events ?? []} />
      </section>

      <HarmReductionCard callId={call.id} />
      <ReferFromCall callId={call.id} />
      <Notes callRawId={call.rawId} notes={(noteRows ?? []).map((r, i) => ({ row: r, data: notes?.[i] ?? r.clear }))} unsent={unsentIds} />
      <CallFields call={call} data={data} pending={unsentIds?.has(call.id) ?? false} conflicts={conflictFields ?? new Set()} />
    </article>
  );
}

/** The harm-reduction log of the call: how many entries, and the way to log more. */
function HarmReductionCard({ callId }: { callId: string }) {
  const t = useT();
  const entries = useLiveQuery(() => harmReductionFor({ callId }), [callId]);
  return (
    <section class="card" aria-labelledby="hr-card-title" data-testid="call-hr">
      <h2 id="hr-card-title">{t('hr.title')}</h2>
      <p class="muted" data-testid="call-hr-count" data-count={entries?.length ?? 0}>
        {entries?.length ? t('hr.entriesOnCall', { count: entries.length }) : t('hr.nothingYet')}
      </p>
      <button type="button" class="btn btn-primary" data-testid="call-hr-open" onClick={() => navigate(`/hr/call/${encodeURIComponent(callId)}`)}>
        {t('hr.log')}
      </button>
    </section>
  );
}

/** Every status fact of the call, in time order: withdrawn taps, their withdrawals and taps out of order say so. */
function StatusRecord({ events }: { events: StatusEventRow[] }) {
  const t = useT();
  const { lang } = useSettings();
  if (!events.length) return null;
  const facts = events.map(statusFactOf);
  const withdrawn = withdrawnIds(facts);
  const late = outOfOrder(facts);
  const sorted = [...facts].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.id.localeCompare(b.id));
  const name = (id: string) => str(events.find((e) => e.id === id)?.clear.author_name);
  const label = (s: unknown) => t(`status.${s as CallStatus}`);
  return (
    <details class="status-record" open={late.size > 0 || withdrawn.size > 0}>
      <summary>{t('call.statusRecord')}</summary>
      <ol data-testid="status-record">
        {sorted.map((f) => (
          <li
            key={f.id}
            data-testid="status-record-item"
            data-status={str(f.status)}
            data-withdrawn={withdrawn.has(f.id) ? 'true' : 'false'}
            data-withdrawal={f.withdraws ? 'true' : 'false'}
            class={withdrawn.has(f.id) ? 'withdrawn' : ''}
          >
            <span class="muted">{f.at ? formatTime(f.at, lang) : ''} · </span>
            {f.withdraws ? t('call.statusWithdrawal', { status: label(f.status) }) : label(f.status)}
            {name(f.id) && <span class="muted"> · {name(f.id)}</span>}
            {withdrawn.has(f.id) && <span class="pill pill-tiny"> {t('call.statusWithdrawn')}</span>}
            {late.has(f.id) && (
              <span class="pill pill-warn pill-tiny" data-testid="status-out-of-order">
                {t('call.statusOutOfOrder', { status: label(late.get(f.id)) })}
              </span>
            )}
          </li>
        ))}
      </ol>
    </details>
  );
}

function Notes({
  callRawId,
  notes,
  unsent,
}: {
  callRawId: CallRow['rawId'];
  notes: { row: { id: string }; data: Record<string, unknown> }[];
  unsent: Set<string> | undefined;
}) {
  const t = useT();
  const { lang } = useSettings();
  const [body, setBody] = useState('');
  const when = (n: { row: { id: string }; data: Record<string, unknown> }) => str(n.data.at ?? n.data.created_at);
  const sorted = [...notes].sort((a, b) => (when(a) === when(b) ? a.row.id.localeCompare(b.row.id) : when(a).localeCompare(when(b))));
  const save = async () => {
    const text = body.trim();
    const s = getSession();
    if (!text || !s) return;
    // Clear at once: anything typed while the save runs belongs to the next note.
    setBody('');
    try {
      await addNote(s.dataKey, callRawId, text);
    } catch (e) {
      setBody((cur) => (cur ? cur : text));
      throw e;
    }
    afterCapture();
  };
  return (
    <section class="card" aria-labelledby="notes-title">
      <h2 id="notes-title">{t('call.notes')}</h2>
      {sorted.length ? (
        <ol class="notes" data-testid="notes-list">
          {sorted.map((n) => (
            <li key={n.row.id} data-testid="note-item">
              <span class="muted">
                {formatDateTime(when(n), lang)}
                {n.data.author_name ? <span data-testid="note-author"> · {str(n.data.author_name)}</span> : null}
                {unsent?.has(n.row.id) && <span class="pill pill-warn pill-tiny">{t('call.notUnsent')}</span>}
                {n.data.time_uncertain === true && (
                  <span class="pill pill-warn pill-tiny" data-testid="note-time-uncertain">
                    {t('call.timeUncertain')}
                  </span>
                )}
              </span>
              <p>{str(n.data.body)}</p>
            </li>
          ))}
        </ol>
      ) : (
        <p class="muted">{t('call.noNotes')}</p>
      )}
      <label class="sr-only" for="note-input">
        {t('call.notePlaceholder')}
      </label>
      <textarea
        id="note-input"
        data-testid="note-input"
        rows={3}
        maxLength={NOTE_MAX_CHARS}
        placeholder={t('call.notePlaceholder')}
        value={body}
        onInput={(e) => setBody(e.currentTarget.value)}
      />
      <button type="button" class="btn btn-primary" data-testid="note-save" disabled={!body.trim()} onClick={() => void save()}>
        {t('call.noteSave')}
      </button>
    </section>
  );
}

function FieldForm({
  call,
  field,
  value,
  testid,
  conflict,
}: {
  call: CallRow;
  field: CallEditableField;
  value: string;
  testid: string;
  conflict: boolean;
}) {
  const t = useT();
  const [draft, setDraft] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const shown = draft ?? value;
  const save = async () => {
    const s = getSession();
    if (!s || draft === null) return;
    await updateCall(s.dataKey, call, { [field]: draft.trim() });
    setDraft(null);
    setSaved(true);
    afterCapture();
  };
  const label = field === 'disposition' ? t('call.disposition') : t('call.transport');
  return (
    <div class="field-form">
      <label for={`${testid}-input`}>{label}</label>
      <div class="row">
        <input
          id={`${testid}-input`}
          data-testid={`${testid}-input`}
          value={shown}
          maxLength={maxLength('call', field)}
          onInput={(e) => {
            setDraft(e.currentTarget.value);
            setSaved(false);
          }}
        />
        <button type="button" class="btn btn-primary" data-testid={`${testid}-save`} disabled={draft === null} onClick={() => void save()}>
          {t('call.save')}
        </button>
      </div>
      {conflict ? (
        <p class="notice notice-warn small" data-testid={`${testid}-conflict`}>
          {t('call.fieldConflict')}
        </p>
      ) : (
        saved && <p class="muted small">{t('call.saved')}</p>
      )}
    </div>
  );
}

/** The disposition: chosen from the list (kept on the tablet, so offline too), with free text beside it; one save. */
function DispositionForm({ call, code, text, conflicts }: { call: CallRow; code: string | null; text: string; conflicts: Set<string> }) {
  const t = useT();
  const codeClash = conflicts.has('disposition_code');
  const textClash = conflicts.has('disposition');
  const { lang } = useSettings();
  const list = useDispositions();
  const [chosen, setChosen] = useState<string | null>(null);
  const [draft, setDraft] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const edit = dispositionEdit({ code, text }, { code: chosen ?? code ?? '', text: draft ?? text });
  const changed = Object.keys(edit).length > 0;
  const save = async () => {
    const s = getSession();
    if (!s || !changed) return;
    await updateCall(s.dataKey, call, edit);
    setChosen(null);
    setDraft(null);
    setSaved(true);
    afterCapture();
  };
  return (
    <div class="field-form">
      <label for="disposition-code">{t('call.dispositionCode')}</label>
      <select
        id="disposition-code"
        data-testid="disposition-code"
        value={chosen ?? code ?? ''}
        onChange={(e) => {
          setChosen(e.currentTarget.value);
          setSaved(false);
        }}
      >
        <option value="">{t('call.dispositionNone')}</option>
        {offered(list, code).map((d) => (
          <option key={d.code} value={d.code}>
            {dispositionLabel(list, d.code, lang)}
          </option>
        ))}
      </select>
      {list.length === 0 && <p class="muted small" data-testid="disposition-no-list">{t('call.dispositionNoList')}</p>}
      <label for="disposition-input">{t('call.dispositionText')}</label>
      <div class="row">
        <input
          id="disposition-input"
          data-testid="disposition-input"
          value={draft ?? text}
          maxLength={maxLength('call', 'disposition')}
          onInput={(e) => {
            setDraft(e.currentTarget.value);
            setSaved(false);
          }}
        />
        <button type="button" class="btn btn-primary" data-testid="disposition-save" disabled={!changed} onClick={() => void save()}>
          {t('call.save')}
        </button>
      </div>
      {codeClash || textClash ? (
        <p class="notice notice-warn small" data-testid="disposition-conflict">
          {t('call.fieldConflict')}
        </p>
      ) : (
        saved && <p class="muted small">{t('call.saved')}</p>
      )}
    </div>
  );
}

function CallFields({ call, data, pending, conflicts }: { call: CallRow; data: Record<string, unknown>; pending: boolean; conflicts: Set<string> }) {
  const t = useT();
  return (
    <section class="card" aria-labelledby="dispo-title">
      <h2 id="dispo-title">
        {t('call.disposition')}
        {pending && <span class="pill pill-warn pill-tiny">{t('call.pendingEdit')}</span>}
      </h2>
      <DispositionForm
        call={call}
        code={data.disposition_code ? String(data.disposition_code) : null}
        text={str(data.disposition)}
        conflicts={conflicts}
      />
      <FieldForm
        call={call}
        field="transport_destination"
        value={str(data.transport_destination)}
        testid="transport"
        conflict={conflicts.has('transport_destination')}
      />
    </section>
  );
}
