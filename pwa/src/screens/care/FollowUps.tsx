/** Follow-ups still open, soonest due first, each marked overdue, due today or later; a navigator closes one with its outcome. */
import { useState } from 'preact/hooks';
import { care, type FollowUp } from '../../api/care';
import { useNow } from '../../app/useNow';
import { formatDateTime, useT, type Key } from '../../i18n';
import { api, errorsOf, FieldError, Problem, useLoad } from '../supply/common';
import { failure, type Failure } from '../supply/view';
import type { TabProps } from './view';
import { byDue, dueState, type DueState } from './view';

// Due marks move from "today" to "overdue" while the screen is open: a minute is fine enough.
const DUE_TICK_MS = 60_000;
const DUE_KEYS: Record<DueState, Key> = { overdue: 'care.overdue', today: 'care.dueToday', later: 'care.dueLater' };
const DUE_PILLS: Record<DueState, string> = { overdue: 'pill-danger', today: 'pill-warn', later: '' };

export function FollowUps({ acts }: TabProps) {
  const t = useT();
  const now = new Date(useNow(DUE_TICK_MS));
  const tasks = useLoad((c) => care.followUps(c), []);
  return (
    <div data-testid="care-follow-ups">
      <Problem problem={tasks.problem} testId="care-problem" />
      {tasks.data && tasks.data.length === 0 && <p class="empty">{t('care.noFollowUps')}</p>}
      <ul class="plain supply-cards">
        {byDue(tasks.data ?? []).map((task) => (
          <FollowUpItem key={task.id} task={task} state={dueState(task, now)} acts={acts} onDone={tasks.reload} />
        ))}
      </ul>
    </div>
  );
}

function FollowUpItem({ task, state, acts, onDone }: { task: FollowUp; state: DueState; acts: boolean; onDone: () => void }) {
  const t = useT();
  const [outcome, setOutcome] = useState('');
  const [problem, setProblem] = useState<Failure | null>(null);
  const done = async (e: Event) => {
    e.preventDefault();
    if (!outcome.trim()) return setProblem({ kind: 'fields', fields: { outcome: t('care.outcomeRequired') } });
    try {
      await care.done(api(), task.id, outcome.trim());
      onDone();
    } catch (err) {
      setProblem(failure(err));
    }
  };
  const outcomeId = `outcome-${task.id}`;
  return (
    <li class="card" data-testid="follow-up" data-follow-up-id={task.id} data-due={state}>
      <div class="row">
        <strong>{t('care.followUpTitle', { call: task.cad_number, when: formatDateTime(task.due_at) })}</strong>
        <span class={`pill pill-tiny ${DUE_PILLS[state]}`} data-testid="follow-up-due">
          {t(DUE_KEYS[state])}
        </span>
      </div>
      {task.address && <p data-testid="follow-up-address">{task.address}</p>}
      {task.note && <p data-testid="follow-up-note">{task.note}</p>}
      <p class="muted">{t('care.assignedTo', { name: task.assigned_to ?? '' })}</p>
      {acts && (
        <form class="row" onSubmit={(e) => void done(e)} noValidate>
          <label for={outcomeId} class="sr-only">
            {t('care.outcome')}
          </label>
          <input id={outcomeId} data-testid="follow-up-outcome" type="text" placeholder={t('care.outcome')} value={outcome} onInput={(e) => setOutcome(e.currentTarget.value)} />
          <button type="submit" class="btn btn-primary" data-testid="follow-up-done">
            {t('care.markDone')}
          </button>
        </form>
      )}
      <FieldError errors={errorsOf(problem)} name="outcome" />
      <Problem problem={problem?.kind === 'fields' ? null : problem} testId="follow-up-problem" />
    </li>
  );
}
