import { sessionApi } from '../app/auth';
import { useFieldAlerts } from '../app/fieldAlerts';
import { cachedFieldSettings } from '../app/fieldSettings';
import { useNow } from '../app/useNow';
import { useLiveQuery } from '../db';
import { useT } from '../i18n';
import { checkinRulesFrom } from '../lib/checkin';
import { answerCheckin, nextCheckin } from '../lib/checkinAnswers';
import { estimatedNow } from '../lib/deviceClock';

/** How often the prompt looks at the clock: it comes within this of its time. */
const CHECK_MS = 10_000;

/** "All OK?" once a call on scene has gone its minutes without a sign of life: one tap answers, with or without signal. */
export function CheckinPrompt() {
  const t = useT();
  const now = useNow(CHECK_MS);
  const { prompts } = useFieldAlerts();
  // Re-read on every status change and answer (Dexie), and when the server prompts.
  const due = useLiveQuery(() => nextCheckin(checkinRulesFrom(cachedFieldSettings()), estimatedNow(), prompts), [prompts]);
  if (!due || due.dueAt > now) return null;
  return (
    <div class="checkin" role="alertdialog" aria-labelledby="checkin-title" aria-describedby="checkin-call" data-testid="checkin-prompt" data-call-id={due.callId}>
      <h2 id="checkin-title">{t('checkin.title')}</h2>
      <p id="checkin-call">{[due.title, due.address].filter(Boolean).join(' — ')}</p>
      <button type="button" class="btn checkin-ok" data-testid="checkin-ok" onClick={() => void answerCheckin(sessionApi(), due.callId)}>
        {t('checkin.ok')}
      </button>
    </div>
  );
}
