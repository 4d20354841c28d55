/** Under a referral: the call as its crew recorded it (read on demand), and a navigator's form to plan a follow-up on it. */
import { useState } from 'preact/hooks';
import { care, type CareCall, type Referral } from '../../api/care';
import { formatDateTime, useT } from '../../i18n';
import { api, errorsOf, FieldError, Problem } from '../supply/common';
import { failure, type Failure } from '../supply/view';
import { dueAtFromInput } from './view';

export function CallDetails({ callId }: { callId: string }) {
  const t = useT();
  const [call, setCall] = useState<CareCall | null>(null);
  const [problem, setProblem] = useState<Failure | null>(null);
  const toggle = async () => {
    if (call) return setCall(null);
    try {
      setCall(await care.call(api(), callId));
      setProblem(null);
    } catch (err) {
      setProblem(failure(err));
    }
  };
  return (
    <div>
      <button type="button" class="btn" data-testid="referral-call-toggle" aria-expanded={call !== null} onClick={() => void toggle()}>
        {t(call ? 'care.hideCall' : 'care.showCall')}
      </button>
      {call && (
        <dl class="care-call" data-testid="referral-call">
          <dt>{t('care.callReceived')}</dt>
          <dd>{formatDateTime(call.received_at)}</dd>
          <dt>{t('care.callAddress')}</dt>
          <dd>{call.address}</dd>
          <dt>{t('care.callNarrative')}</dt>
          <dd data-testid="referral-call-narrative">{call.narrative}</dd>
          {call.disposition && (
            <>
              <dt>{t('care.callDisposition')}</dt>
              <dd>{call.disposition}</dd>
            </>
          )}
        </dl>
      )}
      <Problem problem={problem} testId="referral-call-problem" />
    </div>
  );
}

export function FollowUpForm({ referral }: { referral: Referral }) {
  const t = useT();
  const [due, setDue] = useState('');
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<Failure | null>(null);
  const [saved, setSaved] = useState(false);
  const send = async (e: Event) => {
    e.preventDefault();
    const dueAt = dueAtFromInput(due);
    if (!dueAt) return setProblem({ kind: 'fields', fields: { due_at: t('care.dueRequired') } });
    try {
      await care.followUp(api(), referral.call_id, referral.id, dueAt, note.trim() || null);
      setDue('');
      setNote('');
      setProblem(null);
      setSaved(true);
    } catch (err) {
      setProblem(failure(err));
    }
  };
  const dueId = `due-${referral.id}`;
  const noteId = `follow-note-${referral.id}`;
  return (
    <form class="row" data-testid="follow-up-form" onSubmit={(e) => void send(e)} noValidate>
      <label for={dueId}>{t('care.followUpOn')}</label>
      <input id={dueId} data-testid="follow-up-due-at" type="datetime-local" value={due} onInput={(e) => setDue(e.currentTarget.value)} />
      <label for={noteId} class="sr-only">
        {t('care.followUpNote')}
      </label>
      <input id={noteId} data-testid="follow-up-new-note" type="text" placeholder={t('care.followUpNote')} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      <button type="submit" class="btn" data-testid="follow-up-add">
        {t('care.addFollowUp')}
      </button>
      <FieldError errors={errorsOf(problem)} name="due_at" />
      <Problem problem={problem?.kind === 'fields' ? null : problem} testId="follow-up-form-problem" />
      {saved && (
        <p class="notice ok" role="status" data-testid="follow-up-added">
          {t('care.followUpAdded')}
        </p>
      )}
    </form>
  );
}
