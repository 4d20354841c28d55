/**
 * The post-call survey, opened when the crew clears a call (/survey/<call id>), and the list of
 * surveys still owed (/survey/). Answered or skipped with a reason; until then this tablet holds
 * back the taps that start this person's next call (the server never drops a status).
 */
import { useState } from 'preact/hooks';
import { getSession } from '../crypto/session';
import { getCall, recordSurvey, POLICE_REASON_MAX_CHARS, SKIP_REASON_MAX_CHARS, SURVEY_COMMENT_MAX_CHARS, surveyFor, useLiveQuery, type CallRow } from '../db';
import { useT } from '../i18n';
import { YES_NO } from '../lib/fieldLogs';
import { afterCapture } from '../app/runtime';
import { navigate } from '../app/router';
import { callTitle } from '../app/callView';
import { useSurveysOwed } from '../app/surveys';
import type { ScreenProps } from '../app/areas';
import { Choice } from '../ui/FieldControls';

type YesNo = (typeof YES_NO)[number];
const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const titleOf = (call: CallRow | null | undefined, id: string) => (call ? callTitle(call.clear) || str(call.clear.cad_number) || id : id);

export default function Survey({ param }: ScreenProps) {
  const id = decodeURIComponent(param);
  return id ? <SurveyForm callId={id} /> : <Owed />;
}

function Owed() {
  const t = useT();
  const owed = useSurveysOwed();
  return (
    <section data-testid="survey-owed">
      <h1>{t('survey.title')}</h1>
      {owed.length ? (
        <ul class="hr-list">
          {owed.map((id) => (
            <OwedRow key={id} callId={id} />
          ))}
        </ul>
      ) : (
        <p class="muted" data-testid="survey-none">
          {t('survey.noneOwed')}
        </p>
      )}
    </section>
  );
}

function OwedRow({ callId }: { callId: string }) {
  const call = useLiveQuery(() => getCall(callId).then((c) => c ?? null), [callId]);
  return (
    <li>
      <a href={`#/survey/${encodeURIComponent(callId)}`} data-testid="survey-owed-call" data-call-id={callId}>
        {titleOf(call, callId)}
      </a>
    </li>
  );
}

function SurveyForm({ callId }: { callId: string }) {
  const t = useT();
  const call = useLiveQuery(() => getCall(callId).then((c) => c ?? null), [callId]);
  const existing = useLiveQuery(() => surveyFor(callId), [callId]);
  const [feltSafe, setFeltSafe] = useState<YesNo | null>(null);
  const [police, setPolice] = useState<YesNo | null>(null);
  const [policeReason, setPoliceReason] = useState('');
  const [debrief, setDebrief] = useState<YesNo | null>(null);
  const [comment, setComment] = useState('');
  const [skipping, setSkipping] = useState(false);
  const [skipReason, setSkipReason] = useState('');
  const [busy, setBusy] = useState(false);
  if (call === undefined || existing === undefined) return null;
  const rawId = call?.rawId ?? callId;
  const done = async (answers: Parameters<typeof recordSurvey>[2]) => {
    setBusy(true);
    try {
      await recordSurvey(getSession()?.dataKey ?? null, rawId, answers);
      afterCapture();
      navigate('/calls');
    } finally {
      setBusy(false);
    }
  };
  const yesNo = (v: YesNo) => t(`survey.${v}`);
  if (existing)
    return (
      <section data-testid="survey-done" data-call-id={callId}>
        <h1>{t('survey.title')}</h1>
        <p>{existing.clear.skipped_reason ? t('survey.skippedAlready') : t('survey.answeredAlready')}</p>
        <button type="button" class="btn btn-primary" onClick={() => navigate('/calls')}>
          {t('survey.toCalls')}
        </button>
      </section>
    );
  const complete = feltSafe && police && debrief;
  return (
    <section class="survey" data-testid="survey" data-call-id={callId}>
      <h1>{t('survey.title')}</h1>
      <p class="muted">{t('survey.about', { call: titleOf(call, callId) })}</p>
      <div class="card">
        <Choice id="survey-felt-safe" label={t('survey.feltSafe')} options={YES_NO} value={feltSafe} labelOf={yesNo} onChange={setFeltSafe} />
        <Choice id="survey-police" label={t('survey.policeRequested')} options={YES_NO} value={police} labelOf={yesNo} onChange={setPolice} />
        {police === 'yes' && (
          <>
            <label for="survey-police-reason">{t('survey.policeReason')}</label>
            <input
              id="survey-police-reason"
              data-testid="survey-police-reason"
              maxLength={POLICE_REASON_MAX_CHARS}
              value={policeReason}
              onInput={(e) => setPoliceReason(e.currentTarget.value)}
            />
          </>
        )}
        <Choice id="survey-debrief" label={t('survey.debriefWanted')} options={YES_NO} value={debrief} labelOf={yesNo} onChange={setDebrief} />
        <label for="survey-comment">{t('survey.comment')}</label>
        <textarea id="survey-comment" data-testid="survey-comment" rows={3} maxLength={SURVEY_COMMENT_MAX_CHARS} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
        <div class="row">
          <button
            type="button"
            class="btn btn-primary"
            data-testid="survey-save"
            disabled={busy || !complete}
            onClick={() =>
              complete &&
              void done({ felt_safe: feltSafe, police_requested: police, police_reason: policeReason, debrief_wanted: debrief, comment: comment.trim() || undefined })
            }
          >
            {t('survey.save')}
          </button>
          <button type="button" class="btn" data-testid="survey-skip" aria-expanded={skipping} onClick={() => setSkipping(!skipping)}>
            {t('survey.skip')}
          </button>
        </div>
      </div>
      {skipping && (
        <div class="card" data-testid="survey-skip-form">
          <label for="survey-skip-reason">{t('survey.skipReason')}</label>
          <input id="survey-skip-reason" data-testid="survey-skip-reason" maxLength={SKIP_REASON_MAX_CHARS} value={skipReason} onInput={(e) => setSkipReason(e.currentTarget.value)} />
          <button type="button" class="btn btn-warn" data-testid="survey-skip-save" disabled={busy || !skipReason.trim()} onClick={() => void done({ skipped_reason: skipReason })}>
            {t('survey.skipSave')}
          </button>
        </div>
      )}
    </section>
  );
}
