/**
 * The supervisor's rosters: build a unit's shift (unit, day, hours, crew picked from people) and see
 * the server's crew rules as the refusal reason beside the form; the shifts not ended yet, each
 * removable until it starts. Online only.
 */
import { useState } from 'preact/hooks';
import { people, rosters, type Shift } from '../../api/admin';
import type { ScreenProps } from '../../app/areas';
import { formatDateTime, useT, type Key } from '../../i18n';
import { ACTIONS, api, errorsOf, FieldError, Problem, Table, useListAction, useLoad } from '../supply/common';
import { failure, type Failure } from '../supply/view';
import { crewCandidates, crewRefusal, localDay, shiftTimes } from './view';

export default function Rosters(_: ScreenProps) {
  const t = useT();
  const shifts = useLoad((c) => rosters.upcoming(c, new Date()), []);
  return (
    <section class="supply rosters" data-testid="rosters">
      <h1>{t('roster.title')}</h1>
      <ShiftForm onMade={shifts.reload} />
      <h2>{t('roster.upcoming')}</h2>
      <Problem problem={shifts.problem} testId="roster-problem" />
      {shifts.data && shifts.data.length === 0 && <p class="empty">{t('roster.none')}</p>}
      {shifts.data && shifts.data.length > 0 && <ShiftTable shifts={shifts.data} reload={shifts.reload} />}
    </section>
  );
}

function ShiftForm({ onMade }: { onMade: () => void }) {
  const t = useT();
  const units = useLoad((c) => rosters.units(c), []);
  const everyone = useLoad((c) => people.list(c), []);
  const areas = useLoad((c) => rosters.areas(c), []);
  const [unitId, setUnitId] = useState('');
  const [area, setArea] = useState('');
  const [day, setDay] = useState(localDay(new Date()));
  const [start, setStart] = useState('07:00');
  const [end, setEnd] = useState('19:00');
  const [crew, setCrew] = useState<number[]>([]);
  const [problem, setProblem] = useState<Failure | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const errors = errorsOf(problem);
  const refusal = crewRefusal(errors);
  const toggle = (id: number) => setCrew((now) => (now.includes(id) ? now.filter((x) => x !== id) : [...now, id]));
  const save = async (e: Event) => {
    e.preventDefault();
    const times = shiftTimes(day, start, end);
    if (!unitId || !times) {
      setProblem({ kind: 'fields', fields: !unitId ? { unit_id: t('roster.chooseUnit') } : { starts_at: t('roster.badHours') } });
      return;
    }
    try {
      const made = await rosters.create(api(), { unit_id: Number(unitId), ...times, member_ids: crew, service_area_id: area || null });
      setProblem(null);
      setDone(t('roster.made', { unit: made.call_sign }));
      setCrew([]);
      onMade();
    } catch (err) {
      setDone(null);
      setProblem(failure(err));
    }
  };
  return (
    <form class="card supply-form" data-testid="shift-form" onSubmit={(e) => void save(e)} noValidate>
      <h2>{t('roster.new')}</h2>
      <div class="row">
        <div class="supply-field">
          <label for="shift-unit">{t('roster.unit')}</label>
          <select id="shift-unit" data-testid="shift-unit" value={unitId} onChange={(e) => setUnitId(e.currentTarget.value)}>
            <option value="">{t('supply.choose')}</option>
            {(units.data ?? [])
              .filter((u) => u.active)
              .map((u) => (
                <option key={u.id} value={String(u.id)}>
                  {u.call_sign} · {t(`dispatch.response.${u.program}` as Key)}
                </option>
              ))}
          </select>
          <FieldError errors={errors} name="unit_id" />
        </div>
        <div class="supply-field">
          <label for="shift-day">{t('roster.day')}</label>
          <input id="shift-day" data-testid="shift-day" type="date" value={day} onInput={(e) => setDay(e.currentTarget.value)} />
        </div>
        <div class="supply-field">
          <label for="shift-start">{t('roster.starts')}</label>
          <input id="shift-start" data-testid="shift-start" type="time" value={start} onInput={(e) => setStart(e.currentTarget.value)} />
          <FieldError errors={errors} name="starts_at" />
        </div>
        <div class="supply-field">
          <label for="shift-end">{t('roster.ends')}</label>
          <input id="shift-end" data-testid="shift-end" type="time" value={end} onInput={(e) => setEnd(e.currentTarget.value)} />
          <FieldError errors={errors} name="ends_at" />
        </div>
        <div class="supply-field">
          <label for="shift-area">{t('roster.area')}</label>
          <select id="shift-area" data-testid="shift-area" value={area} onChange={(e) => setArea(e.currentTarget.value)}>
            <option value="">{t('roster.unitsOwnArea')}</option>
            {(areas.data ?? []).map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
          <FieldError errors={errors} name="service_area_id" />
        </div>
      </div>
      <fieldset class="crew-picker" data-testid="shift-crew" aria-describedby={refusal ? 'crew-refusal' : undefined}>
        <legend>{t('roster.crew')}</legend>
        {crewCandidates(everyone.data ?? []).map((p) => (
          <label key={p.id} class="check">
            <input type="checkbox" data-testid={`crew-${p.username}`} checked={crew.includes(p.id)} onChange={() => toggle(p.id)} /> {p.full_name} ·{' '}
            {t(`role.${p.role}` as Key)}
          </label>
        ))}
      </fieldset>
      {refusal && (
        <p class="notice notice-error" role="alert" id="crew-refusal" data-testid="crew-refusal">
          {refusal}
        </p>
      )}
      <Problem problem={problem?.kind === 'fields' ? null : problem} testId="shift-problem" />
      <button type="submit" class="btn btn-primary" data-testid="shift-save">
        {t('roster.save')}
      </button>
      {done && (
        <p class="notice ok" role="status" data-testid="shift-made">
          {done}
        </p>
      )}
    </form>
  );
}

function ShiftTable({ shifts, reload }: { shifts: Shift[]; reload: () => void }) {
  const t = useT();
  const action = useListAction(reload);
  return (
    <>
      <Problem problem={action.problem} testId="shift-remove-problem" />
      <Table label={t('roster.upcoming')} testId="shift-list" columns={['roster.unit', 'roster.starts', 'roster.ends', 'roster.crew', ACTIONS]}>
        <tbody>
          {shifts.map((s) => (
            <tr key={s.id} data-testid="shift-row" data-shift-id={s.id}>
              <td>{s.call_sign}</td>
              <td>{formatDateTime(s.starts_at)}</td>
              <td>{formatDateTime(s.ends_at)}</td>
              <td>{s.members.map((m) => m.name).join(', ')}</td>
              <td>
                <button type="button" class="btn" data-testid="shift-remove" onClick={() => void action.run((c) => rosters.remove(c, s.id))}>
                  {t('roster.remove')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
    </>
  );
}
