/** The dashboard's filters: program, period, date range, call type and area; applied together on submit. */
import { useState } from 'preact/hooks';
import type { AreaChoice, CallTypeChoice } from '../../api/indicators';
import { useT } from '../../i18n';
import { responseLabel } from '../dispatch/view';
import { FieldMessage } from '../supply/common';
import { checkFilters, PERIODS, PROGRAMS, type Filters } from './view';

export interface FilterChoices {
  callTypes: readonly CallTypeChoice[];
  areas: readonly AreaChoice[];
}

export function FilterForm({ value, choices, onApply }: { value: Filters; choices: FilterChoices; onApply: (f: Filters) => void }) {
  const t = useT();
  const [draft, setDraft] = useState(value);
  const errors = checkFilters(draft);
  const set = (patch: Partial<Filters>) => setDraft({ ...draft, ...patch });
  const submit = (e: Event) => {
    e.preventDefault();
    if (Object.keys(errors).length === 0) onApply(draft);
  };
  return (
    <form class="ind-filters" onSubmit={submit} data-testid="ind-filters" aria-label={t('ind.filters')}>
      <label>
        {t('ind.filter.program')}
        <select data-testid="ind-program" value={draft.program} onChange={(e) => set({ program: e.currentTarget.value })}>
          <option value="">{t('ind.filter.allPrograms')}</option>
          {PROGRAMS.map((p) => (
            <option key={p} value={p}>
              {responseLabel(t, p)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('ind.filter.period')}
        <select data-testid="ind-period" value={draft.period} onChange={(e) => set({ period: e.currentTarget.value as Filters['period'] })}>
          {PERIODS.map((p) => (
            <option key={p} value={p}>
              {t(`ind.period.${p}`)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('ind.filter.from')}
        <input type="date" data-testid="ind-from" value={draft.from} aria-invalid={errors.from ? true : undefined} onInput={(e) => set({ from: e.currentTarget.value })} />
        <FieldMessage text={errors.from && t(errors.from)} testId="ind-error-from" />
      </label>
      <label>
        {t('ind.filter.to')}
        <input type="date" data-testid="ind-to" value={draft.to} aria-invalid={errors.to ? true : undefined} onInput={(e) => set({ to: e.currentTarget.value })} />
        <FieldMessage text={errors.to && t(errors.to)} testId="ind-error-to" />
      </label>
      <label>
        {t('ind.filter.callType')}
        <select data-testid="ind-call-type" value={draft.callType} onChange={(e) => set({ callType: e.currentTarget.value })}>
          <option value="">{t('ind.filter.allCallTypes')}</option>
          {choices.callTypes.map((c) => (
            <option key={c.code} value={c.code}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('ind.filter.area')}
        <select data-testid="ind-area" value={draft.area} onChange={(e) => set({ area: e.currentTarget.value })}>
          <option value="">{t('ind.filter.allAreas')}</option>
          {choices.areas.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="btn btn-primary" data-testid="ind-apply" disabled={Object.keys(errors).length > 0}>
        {t('ind.apply')}
      </button>
    </form>
  );
}
