/** Pieces the supply screens share: loading a REST answer, the location picker, field messages, expiry marks. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../../api/client';
import { supplies, type StockLocation } from '../../api/supplies';
import { sessionApi } from '../../app/auth';
import { useT, type Key } from '../../i18n';
import { failure, type ExpiryState, type Failure, type Loader } from './view';

/** The signed-in client; the supply screens are online only, so without one they say so. */
export function api(): ApiClient {
  const client = sessionApi();
  if (!client) throw new Error('locked');
  return client;
}

export interface Loaded<T> {
  data: T | null;
  problem: Failure | null;
  reload: () => void;
}

/** Runs `load` now and on `reload()`; keeps the last answer while a new one comes. */
export function useLoad<T>(load: Loader<T>, deps: readonly unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [problem, setProblem] = useState<Failure | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load(api())
      .then((d) => {
        if (!live) return;
        setData(d);
        setProblem(null);
      })
      .catch((e: unknown) => live && setProblem(failure(e)));
    return () => {
      live = false;
    };
  }, [tick, ...deps]);
  return { data, problem, reload: useCallback(() => setTick((n) => n + 1), []) };
}

export interface ListAction {
  problem: Failure | null;
  run(call: Loader<unknown>): Promise<void>;
}

/** A row's button that calls the server, then reads the list again; `problem` is the last call's failure, cleared by a success. */
export function useListAction(reload: () => void): ListAction {
  const [problem, setProblem] = useState<Failure | null>(null);
  const run = async (call: Loader<unknown>) => {
    try {
      await call(api());
      setProblem(null);
      reload();
    } catch (e) {
      setProblem(failure(e));
    }
  };
  return { problem, run };
}

/** A failure in plain words: offline, the server's own message, or "could not load". */
export function Problem({ problem, testId = 'supply-problem' }: { problem: Failure | null; testId?: string }) {
  const t = useT();
  if (!problem) return null;
  const text =
    problem.kind === 'offline' ? t('supply.offline') : problem.kind === 'fields' ? (problem.fields[''] ?? Object.values(problem.fields).join(' ')) : t('supply.failed');
  return (
    <p class="notice notice-error" role="alert" data-testid={testId}>
      {text}
    </p>
  );
}

/** A message under a field (none when `text` is empty). */
export function FieldMessage({ text, id, testId }: { text: string | null | undefined; id?: string; testId?: string }) {
  if (!text) return null;
  return (
    <p class="field-error" role="alert" id={id} data-testid={testId}>
      {text}
    </p>
  );
}

/** The message the server gave for one field, shown under it. */
export function FieldError({ errors, name, id }: { errors: Record<string, string>; name: string; id?: string }) {
  return <FieldMessage text={errors[name]} id={id} testId={`error-${name}`} />;
}

/** A whole number typed into a field, kept as typed (read with `wholeNumber` when saved); `invalid` beside its message. */
export function NumberField({
  id,
  testId,
  min,
  label,
  value,
  invalid,
  onInput,
}: {
  id?: string;
  testId: string;
  min: number;
  label?: string;
  value: string;
  invalid: boolean;
  onInput: (text: string) => void;
}) {
  return (
    <input
      id={id}
      class="num-input"
      data-testid={testId}
      type="number"
      min={min}
      step={1}
      inputMode="numeric"
      aria-label={label}
      aria-invalid={invalid ? true : undefined}
      value={value}
      onInput={(e) => onInput(e.currentTarget.value)}
    />
  );
}

/**
 * The end of a form: the form's own message (a failure naming no field), any other failure, and what was
 * done once saved (`done`, shown under `testId`).
 */
export function FormOutcome({ problem, done, testId }: { problem: Failure | null; done: string | null; testId: string }) {
  return (
    <>
      <FieldError errors={errorsOf(problem)} name="" />
      <Problem problem={problem?.kind === 'fields' ? null : problem} />
      {done && (
        <p class="notice ok" role="status" data-testid={testId}>
          {done}
        </p>
      )}
    </>
  );
}

/** A labelled text input (test id = `id`; `secret`: a password) with the server's message for field `name` under it. */
export function TextField({
  id,
  label,
  value,
  onInput,
  errors,
  name,
  secret = false,
  autocomplete,
}: {
  id: string;
  label: string;
  value: string;
  onInput: (text: string) => void;
  errors: Record<string, string>;
  name: string;
  secret?: boolean;
  autocomplete?: string;
}) {
  const attrs = {
    id,
    'data-testid': id,
    autocomplete,
    value,
    'aria-invalid': errors[name] ? true : undefined,
    onInput: (e: { currentTarget: HTMLInputElement }) => onInput(e.currentTarget.value),
  };
  return (
    <div class="supply-field">
      <label for={id}>{label}</label>
      {secret ? <input type="password" {...attrs} /> : <input type="text" {...attrs} />}
      <FieldError errors={errors} name={name} />
    </div>
  );
}

export interface Submit {
  problem: Failure | null;
  done: string | null;
  errors: Record<string, string>;
  onSubmit: (e: Event) => void;
}

/** A form's submit: `save` calls the server and answers what was done (shown until the next try); a failure shows instead. */
export function useSubmit(save: Loader<string>): Submit {
  const [problem, setProblem] = useState<Failure | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const onSubmit = (e: Event) => {
    e.preventDefault();
    (async () => save(api()))().then(
      (message) => {
        setProblem(null);
        setDone(message);
      },
      (err: unknown) => {
        setDone(null);
        setProblem(failure(err));
      },
    );
  };
  return { problem, done, errors: errorsOf(problem), onSubmit };
}

/** Field messages of a failure (empty for others: those show as a Problem). */
export function errorsOf(problem: Failure | null): Record<string, string> {
  return problem?.kind === 'fields' ? problem.fields : {};
}

/** Every stock location, loaded once per screen. */
export function useLocations(): StockLocation[] {
  return useLoad((c) => supplies.locations(c), []).data ?? [];
}

export function LocationPicker({
  id,
  label,
  value,
  onChange,
  locations,
  allowAll = false,
  testId,
}: {
  id: string;
  label: Key;
  value: number | null;
  onChange: (v: number | null) => void;
  locations: readonly StockLocation[];
  allowAll?: boolean;
  testId: string;
}) {
  const t = useT();
  return (
    <div class="supply-field">
      <label for={id}>{t(label)}</label>
      <select id={id} data-testid={testId} value={value === null ? '' : String(value)} onChange={(e) => onChange(e.currentTarget.value ? Number(e.currentTarget.value) : null)}>
        <option value="">{allowAll ? t('supply.allLocations') : t('supply.choose')}</option>
        {locations.map((l) => (
          <option key={l.id} value={String(l.id)}>
            {l.name}
          </option>
        ))}
      </select>
    </div>
  );
}

const EXPIRY_KEYS: Record<ExpiryState, Key | null> = { expired: 'supply.expired', near: 'supply.nearExpiry', ok: null, none: null };

/** "Expired" / "Expires soon" beside a lot or an item. */
export function ExpiryMark({ state }: { state: ExpiryState }) {
  const t = useT();
  const key = EXPIRY_KEYS[state];
  if (!key) return null;
  return (
    <span class={`pill pill-tiny ${state === 'expired' ? 'pill-danger' : 'pill-warn'}`} data-testid={`mark-${state}`}>
      {t(key)}
    </span>
  );
}

/** A column of a table's head: its name, whether it holds numbers (aligned right), whether only a screen reader says it. */
export interface Column {
  name: Key;
  num?: boolean;
  srOnly?: boolean;
}

/** A column of numbers. */
export const num = (name: Key): Column => ({ name, num: true });

/** The column of a row's buttons, named for screen readers only. */
export const ACTIONS: Column = { name: 'supply.col.actions', srOnly: true };

/**
 * A labelled table that scrolls sideways on a narrow tablet instead of squeezing its numbers, its head
 * made of `columns` (a bare key is a column of text).
 */
export function Table({ label, testId, columns, children }: { label: string; testId: string; columns: readonly (Key | Column)[]; children: ComponentChildren }) {
  const t = useT();
  return (
    <div class="supply-table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table class="supply-table" data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c) => {
              const col = typeof c === 'string' ? { name: c } : c;
              return (
                <th key={col.name} scope="col" class={col.num ? 'num' : undefined}>
                  {col.srOnly ? <span class="sr-only">{t(col.name)}</span> : t(col.name)}
                </th>
              );
            })}
          </tr>
        </thead>
        {children}
      </table>
    </div>
  );
}

/** Saves a Blob as a file through a temporary link (the browser's own download, no new window). */
export function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
