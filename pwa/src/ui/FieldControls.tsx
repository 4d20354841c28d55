/**
 * Controls sized for gloves: a count with − and + buttons, a choice of a few answers (the field
 * logs), and the field a USB or Bluetooth scanner types a code into (the kit count, and the supply
 * manager's receiving and counting).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useT } from '../i18n';
import { GS } from '../lib/gs1';

/** A whole number with − / + (48 px each) and a field typed into; kept within `min`..`max`. */
export function Stepper({
  id,
  label,
  value,
  min = 0,
  max = Infinity,
  onChange,
}: {
  id: string;
  label: string;
  value: number;
  min?: number;
  max?: number;
  onChange: (n: number) => void;
}) {
  const t = useT();
  const set = (n: number) => onChange(Math.min(max, Math.max(min, Number.isFinite(n) ? Math.floor(n) : min)));
  return (
    <div class="stepper" data-testid={id}>
      <button type="button" class="btn" aria-label={t('hr.less', { what: label })} data-testid={`${id}-minus`} disabled={value <= min} onClick={() => set(value - 1)}>
        −
      </button>
      <input
        type="number"
        inputMode="numeric"
        min={min}
        max={Number.isFinite(max) ? max : undefined}
        step={1}
        aria-label={label}
        data-testid={`${id}-value`}
        value={value}
        onInput={(e) => set(Number(e.currentTarget.value || min))}
      />
      <button type="button" class="btn" aria-label={t('hr.more', { what: label })} data-testid={`${id}-plus`} disabled={value >= max} onClick={() => set(value + 1)}>
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

/**
 * The text field a scanner in keyboard mode types into; Enter ends one scan. Such a scanner types
 * the GS1 group separator as Ctrl+], which a field would drop: it is put in as the character.
 * The tablet's kit count shows a misread as a notice; the supply manager's forms (receiving,
 * counting a location) give it the look of their other field messages and focus the field at once.
 */
export function ScanInput({
  id,
  label,
  help,
  error,
  onScan,
  class: wrapperClass = 'scan-input',
  errorClass = 'notice notice-error small',
  autoFocus = false,
}: {
  id: string;
  label: string;
  help: string;
  error: string | null | undefined;
  onScan: (code: string) => void;
  class?: string;
  errorClass?: string;
  autoFocus?: boolean;
}) {
  const [code, setCode] = useState('');
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (autoFocus) ref.current?.focus();
  }, []);
  return (
    <div class={wrapperClass}>
      <label for={id}>{label}</label>
      <p class="muted small" id={`${id}-help`}>
        {help}
      </p>
      <input
        ref={ref}
        id={id}
        data-testid={id}
        type="text"
        autocomplete="off"
        autocapitalize="off"
        spellcheck={false}
        aria-describedby={`${id}-help`}
        aria-invalid={error ? true : undefined}
        value={code}
        onInput={(e) => setCode(e.currentTarget.value)}
        onKeyDown={(e) => {
          const el = e.currentTarget;
          if (e.ctrlKey && e.key === ']') {
            e.preventDefault();
            const from = el.selectionStart ?? el.value.length;
            const next = `${el.value.slice(0, from)}${GS}${el.value.slice(el.selectionEnd ?? from)}`;
            el.value = next;
            el.setSelectionRange(from + 1, from + 1);
            setCode(next);
          } else if (e.key === 'Enter') {
            e.preventDefault();
            onScan(el.value);
            setCode('');
          }
        }}
      />
      {error && (
        <p class={errorClass} role="alert" data-testid={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
