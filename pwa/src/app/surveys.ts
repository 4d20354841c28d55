/** The post-call survey gate as the screens read it: the calls whose survey this person still owes. */
import { useMemo } from 'preact/hooks';
import { getSession } from '../crypto/session';
import { allStatusEvents, surveyedCallIds, useLiveQuery } from '../db';
import { estimatedNow } from '../lib/deviceClock';
import { owedSurveys } from '../lib/fieldLogs';
import { statusFactOf } from './callView';

/** Calls the unlocked person cleared on this tablet in this shift and has neither answered nor skipped the survey of, earliest first. */
export function useSurveysOwed(): string[] {
  const user = getSession()?.user.id ?? null;
  const events = useLiveQuery(allStatusEvents, []);
  const surveyed = useLiveQuery(() => surveyedCallIds(user), [user]);
  return useMemo(
    () => (events && surveyed ? owedSurveys(events.map((e) => ({ ...statusFactOf(e), callId: e.callId, local: !!e.local })), surveyed, user, estimatedNow()) : []),
    [events, surveyed, user],
  );
}
