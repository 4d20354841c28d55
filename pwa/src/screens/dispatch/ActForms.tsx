/**
 * The forms that open under a queued call: send another unit (a reason when it is not the
 * recommended one), resolve by phone (how), decline (a reason code and a note). Each checks what
 * it can before sending and shows the server's field messages beside the fields.
 */
import { useState } from 'preact/hooks';
import type { BoardUnit } from '../../api/board';
import { dispatch, type QueueCall, type DeclineCode } from '../../api/dispatch';
import { useT, type Key } from '../../i18n';
import { statusText } from '../board/BoardMap';
import { errorsOf, FieldError, Problem } from '../supply/common';
import { checkAssign, DECLINE_CODES, overrideRequired, overrideToSend, reasonLabel, recommendedUnitId, unitChoices } from './view';
import { useAct, type Act } from './useAct';

export interface FormProps {
  call: QueueCall;
  /** The act went through: close the form and read the queue again. */
  onDone: () => void;
  onCancel: () => void;
}

/** The form's messages: what was checked here first, else what the server said, by field ("" for the form's own). */
function useMessages(act: Act, local: Partial<Record<string, Key>>): Record<string, string> {
  const t = useT();
  const mine = Object.fromEntries(Object.entries(local).map(([k, v]) => [k, t(v!)]));
  return { ...errorsOf(act.problem), ...mine };
}

function Buttons({ send, busy, onCancel, testId }: { send: Key; busy: boolean; onCancel: () => void; testId: string }) {
  const t = useT();
  return (
    <div class="row">
      <button type="submit" class="btn btn-primary" data-testid={testId} disabled={busy}>
        {t(send)}
      </button>
      <button type="button" class="btn" data-testid="dispatch-cancel" onClick={onCancel}>
        {t('dispatch.cancel')}
      </button>
    </div>
  );
}

function Outcome({ act, errors }: { act: Act; errors: Record<string, string> }) {
  return (
    <>
      <FieldError errors={errors} name="" />
      <Problem problem={act.problem?.kind === 'fields' ? null : act.problem} testId="dispatch-act-problem" />
    </>
  );
}

export function AssignForm({ call, units, onDone, onCancel }: FormProps & { units: readonly BoardUnit[] }) {
  const t = useT();
  const act = useAct(onDone);
  const [unitId, setUnitId] = useState<number | null>(null);
  const [reason, setReason] = useState('');
  const [checked, setChecked] = useState<Partial<Record<string, Key>>>({});
  const errors = useMessages(act, checked);
  const recommended = recommendedUnitId(call);
  const asking = unitId !== null && overrideRequired(call, unitId);
  const ids = { unit: `assign-unit-${call.id}`, reason: `assign-reason-${call.id}` };
  const submit = (e: Event) => {
    e.preventDefault();
    const found = checkAssign(call, unitId, reason);
    setChecked(found);
    if (unitId !== null && Object.keys(found).length === 0) void act.run((c) => dispatch.assign(c, call.id, unitId, overrideToSend(call, unitId, reason)));
  };
  return (
    <form class="dispatch-form" noValidate data-testid="dispatch-assign-form" onSubmit={submit}>
      <div class="supply-field">
        <label for={ids.unit}>{t('dispatch.unit')}</label>
        <select id={ids.unit} data-testid="assign-unit" value={unitId === null ? '' : String(unitId)} aria-invalid={errors.unit_id ? true : undefined} onChange={(e) => setUnitId(e.currentTarget.value ? Number(e.currentTarget.value) : null)}>
          <option value="">{t('dispatch.chooseUnit')}</option>
          {unitChoices(units).map((u) => (
            <option key={u.unit_id} value={String(u.unit_id)}>
              {t(u.unit_id === recommended ? 'dispatch.unitRecommended' : 'dispatch.unitOption', { unit: u.call_sign, status: statusText(t, u.status) })}
            </option>
          ))}
        </select>
        <FieldError errors={errors} name="unit_id" />
      </div>
      {asking && (
        <div class="supply-field">
          <label for={ids.reason}>{t('dispatch.overrideReason')}</label>
          <input id={ids.reason} type="text" data-testid="assign-override-reason" maxLength={500} value={reason} aria-invalid={errors.override_reason ? true : undefined} onInput={(e) => setReason(e.currentTarget.value)} />
          <FieldError errors={errors} name="override_reason" />
        </div>
      )}
      <Outcome act={act} errors={errors} />
      <Buttons send="dispatch.send" busy={act.busy} onCancel={onCancel} testId="assign-send" />
    </form>
  );
}

export function PhoneForm({ call, onDone, onCancel }: FormProps) {
  const t = useT();
  const act = useAct(onDone);
  const [note, setNote] = useState('');
  const [checked, setChecked] = useState<Partial<Record<string, Key>>>({});
  const errors = useMessages(act, checked);
  const id = `phone-note-${call.id}`;
  const submit = (e: Event) => {
    e.preventDefault();
    const found: Partial<Record<string, Key>> = note.trim() ? {} : { note: 'dispatch.error.note' };
    setChecked(found);
    if (!found.note) void act.run((c) => dispatch.resolveByPhone(c, call.id, note.trim()));
  };
  return (
    <form class="dispatch-form" noValidate data-testid="dispatch-phone-form" onSubmit={submit}>
      <div class="supply-field">
        <label for={id}>{t('dispatch.phoneNote')}</label>
        <textarea id={id} data-testid="phone-note" maxLength={500} rows={2} value={note} aria-invalid={errors.note ? true : undefined} onInput={(e) => setNote(e.currentTarget.value)} />
        <FieldError errors={errors} name="note" />
      </div>
      <Outcome act={act} errors={errors} />
      <Buttons send="dispatch.resolveSend" busy={act.busy} onCancel={onCancel} testId="phone-send" />
    </form>
  );
}

export function DeclineForm({ call, onDone, onCancel }: FormProps) {
  const t = useT();
  const act = useAct(onDone);
  // The triage's own reason when it gave one a person may confirm, else the team declined.
  const suggested = DECLINE_CODES.find((c) => c === call.recommendation?.reason_code) ?? 'declined_by_team';
  const [code, setCode] = useState<DeclineCode>(suggested);
  const [note, setNote] = useState('');
  const errors = useMessages(act, {});
  const ids = { code: `decline-code-${call.id}`, note: `decline-note-${call.id}` };
  const submit = (e: Event) => {
    e.preventDefault();
    void act.run((c) => dispatch.decline(c, call.id, code, note.trim() || null));
  };
  return (
    <form class="dispatch-form" noValidate data-testid="dispatch-decline-form" onSubmit={submit}>
      <div class="supply-field">
        <label for={ids.code}>{t('dispatch.reasonCode')}</label>
        <select id={ids.code} data-testid="decline-code" value={code} aria-invalid={errors.reason_code ? true : undefined} onChange={(e) => setCode(e.currentTarget.value as DeclineCode)}>
          {DECLINE_CODES.map((c) => (
            <option key={c} value={c}>
              {reasonLabel(t, c)}
            </option>
          ))}
        </select>
        <FieldError errors={errors} name="reason_code" />
      </div>
      <div class="supply-field">
        <label for={ids.note}>{t('dispatch.note')}</label>
        <input id={ids.note} type="text" data-testid="decline-note" maxLength={500} value={note} aria-invalid={errors.note ? true : undefined} onInput={(e) => setNote(e.currentTarget.value)} />
        <FieldError errors={errors} name="note" />
      </div>
      <Outcome act={act} errors={errors} />
      <Buttons send="dispatch.declineSend" busy={act.busy} onCancel={onCancel} testId="decline-send" />
    </form>
  );
}
