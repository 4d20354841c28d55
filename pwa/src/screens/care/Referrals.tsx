/** Referrals, last changed first: the need, the resource, the status and its course (who, when); a navigator moves one to a next status. */
import { useState } from 'preact/hooks';
import { care, type Referral, type ReferralStatus } from '../../api/care';
import { formatDateTime, useT, type Key } from '../../i18n';
import { api, Problem, useLoad } from '../supply/common';
import { failure, type Failure } from '../supply/view';
import type { TabProps } from './view';
import { CallDetails, FollowUpForm } from './ReferralExtras';
import { nextStatuses } from './view';

export const STATUS_KEYS: Record<ReferralStatus, Key> = {
  made: 'care.status.made',
  accepted: 'care.status.accepted',
  connected: 'care.status.connected',
  closed: 'care.status.closed',
};
const MOVE_KEYS: Record<ReferralStatus, Key> = {
  made: 'care.status.made',
  accepted: 'care.markAccepted',
  connected: 'care.markConnected',
  closed: 'care.markClosed',
};

export function Referrals({ acts, content }: TabProps) {
  const t = useT();
  const referrals = useLoad((c) => care.referrals(c), []);
  return (
    <div data-testid="care-referrals">
      <Problem problem={referrals.problem} testId="care-problem" />
      {referrals.data && referrals.data.length === 0 && <p class="empty">{t('care.noReferrals')}</p>}
      <ul class="plain supply-cards">
        {(referrals.data ?? []).map((r) => (
          <ReferralItem key={r.id} referral={r} acts={acts} content={content} onChanged={referrals.reload} />
        ))}
      </ul>
    </div>
  );
}

function ReferralItem({ referral, acts, content, onChanged }: { referral: Referral; acts: boolean; content: boolean; onChanged: () => void }) {
  const t = useT();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Failure | null>(null);
  const move = async (status: ReferralStatus) => {
    setBusy(true);
    try {
      await care.setStatus(api(), referral.id, status, note.trim() || null);
      setNote('');
      setProblem(null);
      onChanged();
    } catch (err) {
      setProblem(failure(err));
    } finally {
      setBusy(false);
    }
  };
  const next = acts ? nextStatuses(referral.status) : [];
  const noteId = `referral-note-${referral.id}`;
  return (
    <li class="card" data-testid="referral" data-referral-id={referral.id} data-status={referral.status}>
      <div class="row">
        <strong>{t('care.referralTitle', { need: referral.need, call: referral.cad_number })}</strong>
        <span class="pill pill-tiny" data-testid="referral-status">
          {t(STATUS_KEYS[referral.status])}
        </span>
      </div>
      <p data-testid="referral-resource">{referral.resource ? referral.resource.name : t('care.toCareNavigation')}</p>
      {referral.note && <p class="muted">{referral.note}</p>}
      <ol class="plain referral-course" aria-label={t('care.course')}>
        {referral.events.map((e, i) => (
          <li key={i} data-testid="referral-event">
            {t('care.event', { status: t(STATUS_KEYS[e.status as ReferralStatus] ?? 'care.status.made'), when: formatDateTime(e.at), who: e.by ?? '' })}
          </li>
        ))}
      </ol>
      {next.length > 0 && (
        <div class="row">
          <label for={noteId} class="sr-only">
            {t('care.statusNote')}
          </label>
          <input id={noteId} data-testid="referral-note" type="text" placeholder={t('care.statusNote')} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          {next.map((status) => (
            <button key={status} type="button" class="btn" data-testid={`referral-to-${status}`} disabled={busy} onClick={() => void move(status)}>
              {t(MOVE_KEYS[status])}
            </button>
          ))}
        </div>
      )}
      <Problem problem={problem} testId="referral-problem" />
      {content && <CallDetails callId={referral.call_id} />}
      {acts && referral.status !== 'closed' && <FollowUpForm referral={referral} />}
    </li>
  );
}
