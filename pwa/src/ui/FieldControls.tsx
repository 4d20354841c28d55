/** Controls of the field logs, sized for gloves: a count with − and + buttons, and a choice of a few answers. */
import { useT } from '../i18n';

/** A whole number with − / + (48 px each) and a field typed into; never below `min`. */
export function Stepper({ id, label, value, min = 0, onChange }: { id: string; label: string; value: number; min?: number; onChange: (n: number) => void }) {
  const t = useT();
  const set = (n: number) => onChange(Math.max(min, Number.isFinite(n) ? Math.floor(n) : min));
  return (
    <div class="stepper" data-testid={id}>
      <button type="button" class="btn" aria-label={t('hr.less', { what: label })} data-testid={`${id}-minus`} disabled={value <= min} onClick={() => set(value - 1)}>
        −
      </button>
      <input
        type="number"
        inputMode="numeric"
        min={min}
        step={1}
        aria-label={label}
        data-testid={`${id}-value`}
        value={value}
        onInput={(e) => set(Number(e.currentTarget.value || min))}
      />
      <button type="button" class="btn" aria-label={t('hr.more', { what: label })} data-testid={`${id}-plus`} onClick={() => set(value + 1)}>
        +
      </button>
    </div>
  );
}

/** One answer of a few (pressed buttons in a group); `value` null until one is picked. */
export function Choice<V extends string>({
  id,
  label,
  options,
  value,
  labelOf,
  onChange,
}: {
  id: string;
  label: string;
  options: readonly V[];
  value: V | null;
  labelOf: (v: V) => string;
  onChange: (v: V) => void;
}) {
  return (
    <div class="choice" role="group" aria-labelledby={`${id}-label`} data-testid={id}>
      <span class="choice-label" id={`${id}-label`}>
        {label}
      </span>
      <div class="choice-options">
        {options.map((o) => (
          <button key={o} type="button" class={`btn ${value === o ? 'btn-primary' : ''}`} aria-pressed={value === o} data-testid={`${id}-${o}`} onClick={() => onChange(o)}>
            {labelOf(o)}
          </button>
        ))}
      </div>
    </div>
  );
}
