/**
 * One call of the queue: when it came and how long ago, its CAD number, priority, type, address
 * and marks, its status, the recommendation with its reason, and the acts: assign the
 * recommended unit in one click, another unit, resolve by phone, decline. A form opens under the row.
 */
import { useState } from 'preact/hooks';
import type { BoardUnit } from '../../api/board';
import { dispatch, type QueueCall } from '../../api/dispatch';
import type { Role } from '../../api/types';
import { formatTime, useT } from '../../i18n';
import { statusText } from '../board/BoardMap';
import { ageText } from '../board/view';
import { errorsOf, FieldMessage, Problem } from '../supply/common';
import { AssignForm, DeclineForm, PhoneForm } from './ActForms';
import { CallMarks, RecommendationView } from './CallMarks';
import { useAct } from './useAct';
import { canCloseFromDesk, canResolveByPhone, oneClickUnit } from './view';

/** Columns of the queue's table (the row's cells in this order). */
export const QUEUE_COLUMNS = 5;

type Opened = 'assign' | 'phone' | 'decline' | null;

export interface RowProps {
  call: QueueCall;
  now: number;
  units: readonly BoardUnit[];
  role: Role | undefined;
  reload: () => void;
}

export function QueueRow({ call, now, units, role, reload }: RowProps) {
  const t = useT();
  const [opened, setOpened] = useState<Opened>(null);
  const done = () => {
    setOpened(null);
    reload();
  };
  return (
    <>
      <tr data-testid="dispatch-call" data-call-id={call.id} data-status={call.status} class={call.weapon || call.violence ? 'dispatch-danger' : undefined}>
        <td class="when">
          <span class="block">{formatTime(call.received_at)}</span>
          <span class="muted" data-testid="call-age">
            {t('dispatch.age', { age: ageText(call.received_at, now) })}
          </span>
        </td>
        <th scope="row">
          <span class="block">
            {call.cad_number}{' '}
            <span class="pill pill-tiny" data-testid="call-priority">
              {t('dispatch.priority', { priority: call.priority })}
            </span>
          </span>
          <span class="block dispatch-type">{call.call_type_name || call.call_type}</span>
          <span class="block dispatch-type" data-testid="call-address">
            {call.address}
          </span>
          <CallMarks call={call} now={now} />
        </th>
        <td>
          <span class="block">{statusText(t, call.status)}</span>
          {call.call_sign && <strong data-testid="call-assigned">{t('dispatch.assigned', { unit: call.call_sign })}</strong>}
          {call.override_reason && <span class="block muted">{t('dispatch.overridden', { reason: call.override_reason })}</span>}
        </td>
        <td class="dispatch-rec-cell">
          <RecommendationView rec={call.recommendation} />
        </td>
        <td>
          <Acts call={call} role={role} opened={opened} open={setOpened} reload={reload} />
        </td>
      </tr>
      {opened && (
        <tr class="dispatch-form-row" data-testid="dispatch-form-row">
          <td colSpan={QUEUE_COLUMNS}>
            {opened === 'assign' && <AssignForm call={call} units={units} onDone={done} onCancel={() => setOpened(null)} />}
            {opened === 'phone' && <PhoneForm call={call} onDone={done} onCancel={() => setOpened(null)} />}
            {opened === 'decline' && <DeclineForm call={call} onDone={done} onCancel={() => setOpened(null)} />}
          </td>
        </tr>
      )}
    </>
  );
}

function Acts({ call, role, opened, open, reload }: { call: QueueCall; role: Role | undefined; opened: Opened; open: (o: Opened) => void; reload: () => void }) {
  const t = useT();
  const act = useAct(reload);
  const unit = oneClickUnit(call);
  const closable = canCloseFromDesk(call);
  const toggle = (o: Exclude<Opened, null>) => open(opened === o ? null : o);
  const errors = errorsOf(act.problem);
  return (
    <div class="dispatch-acts" role="group" aria-label={t('dispatch.actionsFor', { cad: call.cad_number })}>
      {unit !== null && (
        <button type="button" class="btn btn-primary" data-testid="assign-recommended" disabled={act.busy} onClick={() => void act.run((c) => dispatch.assign(c, call.id, unit, null))}>
          {t('dispatch.assignRecommended', { unit: call.recommendation?.call_sign ?? String(unit) })}
        </button>
      )}
      <button type="button" class="btn" data-testid="assign-other" aria-expanded={opened === 'assign'} onClick={() => toggle('assign')}>
        {t(call.unit_id === null ? 'dispatch.assignOther' : 'dispatch.reassign')}
      </button>
      {closable && canResolveByPhone(role) && (
        <button type="button" class="btn" data-testid="resolve-by-phone" aria-expanded={opened === 'phone'} onClick={() => toggle('phone')}>
          {t('dispatch.resolveByPhone')}
        </button>
      )}
      {closable && (
        <button type="button" class="btn" data-testid="decline" aria-expanded={opened === 'decline'} onClick={() => toggle('decline')}>
          {t('dispatch.decline')}
        </button>
      )}
      <FieldMessage text={Object.values(errors).join(' ')} testId="assign-recommended-error" />
      <Problem problem={act.problem?.kind === 'fields' ? null : act.problem} testId="assign-recommended-problem" />
    </div>
  );
}
