/**
 * The supervisor's debrief queue: calls a responder asked to talk over (open, or done with the note
 * left), marking one done, and below it the field logs flagged for review (read only). Online only.
 */
import { useState } from 'preact/hooks';
import { debriefs, type Debrief, type DebriefState } from '../api/debriefs';
import type { ScreenProps } from '../app/areas';
import { formatDateTime, useT, type Key } from '../i18n';
import { api, errorsOf, FieldError, Problem, Table, useLoad } from './supply/common';
import { failure, type Failure } from './supply/view';
import { noteToSend, shortCallId } from './debriefView';

const STATES: { id: DebriefState; label: Key }[] = [
  { id: 'open', label: 'debrief.tab.open' },
  { id: 'done', label: 'debrief.tab.done' },
];

const FLAG_KINDS: Record<string, Key> = { harm_reduction_entry: 'debrief.kind.harm_reduction_entry', post_call_survey: 'debrief.kind.post_call_survey' };

export default function Debriefs({ param }: ScreenProps) {
  const t = useT();
  const state: DebriefState = param === 'done' ? 'done' : 'open';
  const queue = useLoad((c) => debriefs.list(c, state), [state]);
  return (
    <section class="supply debriefs" data-testid="debriefs" data-state={state}>
      <h1>{t('debrief.title')}</h1>
      <nav class="supply-tabs" aria-label={t('debrief.tabs')}>
        {STATES.map((s) => (
          <a key={s.id} href={`#/debriefs/${s.id}`} class={s.id === state ? 'active' : ''} aria-current={s.id === state ? 'page' : undefined} data-testid={`debrief-tab-${s.id}`}>
            {t(s.label)}
          </a>
        ))}
      </nav>
      <Problem problem={queue.problem} testId="debrief-problem" />
      {queue.data && queue.data.length === 0 && <p class="empty">{t(state === 'open' ? 'debrief.noneOpen' : 'debrief.noneDone')}</p>}
      <ul class="plain supply-cards" data-testid="debrief-list">
        {(queue.data ?? []).map((d) => (
          <DebriefItem key={d.id} d={d} onDone={queue.reload} />
        ))}
      </ul>
      <Flagged />
    </section>
  );
}

function DebriefItem({ d, onDone }: { d: Debrief; onDone: () => void }) {
  const t = useT();
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const errors = errorsOf(problem);
  const finish = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await debriefs.done(api(), d.id, noteToSend(note));
      setProblem(null);
      onDone();
    } catch (err) {
      setProblem(failure(err));
    } finally {
      setBusy(false);
    }
  };
  const noteId = `debrief-note-${d.id}`;
  return (
    <li class="card" data-testid="debrief" data-debrief-id={d.id} data-call-id={d.call_id} data-state={d.state}>
      <strong>{t('debrief.callTitle', { call: shortCallId(d.call_id), unit: d.unit_call_sign ?? '—' })}</strong>
      <p data-testid="debrief-asked">{t('debrief.asked', { who: d.asked_by_name ?? '—', when: formatDateTime(d.asked_at) })}</p>
      {d.comment ? (
        <blockquote class="debrief-comment" data-testid="debrief-comment">
          <span class="sr-only">{t('debrief.comment')}: </span>
          {d.comment}
        </blockquote>
      ) : (
        <p class="muted">{t('debrief.noComment')}</p>
      )}
      {d.state === 'done' ? (
        <p data-testid="debrief-done-by">
          {t('debrief.doneBy', { who: d.done_by_name ?? '—', when: formatDateTime(d.done_at) })}
          {d.note ? (
            <>
              <br />
              <span data-testid="debrief-done-note">{d.note}</span>
            </>
          ) : null}
        </p>
      ) : (
        <form class="row" onSubmit={(e) => void finish(e)} noValidate>
          <label for={noteId} class="sr-only">
            {t('debrief.note')}
          </label>
          <input
            id={noteId}
            data-testid="debrief-note"
            type="text"
            placeholder={t('debrief.note')}
            value={note}
            aria-invalid={errors.note ? true : undefined}
            aria-describedby={errors.note ? `${noteId}-error` : undefined}
            onInput={(e) => setNote(e.currentTarget.value)}
          />
          <button type="submit" class="btn btn-primary" data-testid="debrief-done" disabled={busy}>
            {t('debrief.markDone')}
          </button>
        </form>
      )}
      <FieldError errors={errors} name="note" id={`${noteId}-error`} />
      <FieldError errors={errors} name="" />
      <Problem problem={problem?.kind === 'fields' ? null : problem} testId="debrief-problem" />
    </li>
  );
}

function Flagged() {
  const t = useT();
  const flagged = useLoad((c) => debriefs.flagged(c), []);
  return (
    <div data-testid="flagged">
      <h2>{t('debrief.flagged')}</h2>
      <Problem problem={flagged.problem} testId="flagged-problem" />
      {flagged.data && flagged.data.length === 0 && <p class="empty">{t('debrief.noFlagged')}</p>}
      {flagged.data && flagged.data.length > 0 && (
        <Table label={t('debrief.flagged')} testId="flagged-table" columns={['debrief.col.kind', 'debrief.col.call', 'debrief.col.by', 'debrief.col.when', 'debrief.col.reason']}>
          <tbody>
            {flagged.data.map((f) => (
              <tr key={f.id} data-testid="flagged-row" data-kind={f.kind}>
                <td>{FLAG_KINDS[f.kind] ? t(FLAG_KINDS[f.kind]!) : f.kind}</td>
                <td>{f.call_id ? shortCallId(f.call_id) : '—'}</td>
                <td>{f.user_name ?? '—'}</td>
                <td class="when">{formatDateTime(f.at)}</td>
                <td>{f.reason}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </div>
  );
}
