/**
 * On a call's screen (the tablet): refer the person to community care, which puts them in care
 * navigation. Kept on the tablet first and sent at once; with no signal it waits queued and goes
 * with the next sync pass, so a referral made in a basement is never lost. One the server refused
 * shows why, and the form again to make it anew.
 */
import { useState } from 'preact/hooks';
import { useLiveQuery } from '../../db';
import { useT } from '../../i18n';
import { referralsOf, referToCare } from '../../lib/careReferrals';
import { api, Problem } from '../supply/common';
import { failure, type Failure } from '../supply/view';

export function ReferFromCall({ callId }: { callId: string }) {
  const t = useT();
  const [need, setNeed] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Failure | null>(null);
  const made = useLiveQuery(() => referralsOf(callId), [callId]);
  const latest = made?.[0];
  const send = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await referToCare(api(), callId, need.trim() || null, note.trim() || null);
      setProblem(null);
    } catch (err) {
      setProblem(failure(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="care-refer-title" data-testid="call-care">
      <h2 id="care-refer-title">{t('care.referTitle')}</h2>
      {latest && (
        <p class={`notice ${latest.state === 'refused' ? 'notice-error' : 'ok'}`} role="status" data-testid="care-referred" data-state={latest.state}>
          {latest.state === 'sent' ? t('care.referredToCare') : latest.state === 'queued' ? t('care.referQueued') : t('care.referRefused', { reason: latest.lastError ?? '' })}
        </p>
      )}
      {(!latest || latest.state === 'refused') && (
        <form class="row" onSubmit={(e) => void send(e)} noValidate>
          <label for="care-refer-need" class="sr-only">
            {t('care.need')}
          </label>
          <input id="care-refer-need" data-testid="care-refer-need" type="text" placeholder={t('care.need')} value={need} onInput={(e) => setNeed(e.currentTarget.value)} />
          <label for="care-refer-note" class="sr-only">
            {t('care.referNote')}
          </label>
          <input id="care-refer-note" data-testid="care-refer-note" type="text" placeholder={t('care.referNote')} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          <button type="submit" class="btn" data-testid="care-refer" disabled={busy}>
            {t('care.referToCare')}
          </button>
        </form>
      )}
      <Problem problem={problem} testId="care-refer-problem" />
    </section>
  );
}
