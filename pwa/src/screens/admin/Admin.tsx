/**
 * The administration desk, one screen with tabs (/admin/<tab>): people and their logins, the CAD's
 * call-type codes waiting to be mapped, and the disposition list crews choose from. Online only.
 */
import type { ComponentType } from 'preact';
import { useState } from 'preact/hooks';
import { callTypes, dispositions, people, rosters, type CadCode, type CallType, type Person } from '../../api/admin';
import type { Role } from '../../api/types';
import type { ScreenProps } from '../../app/areas';
import { formatDateTime, useT, type Key } from '../../i18n';
import type { DispositionEntry } from '../../lib/dispositions';
import { ACTIONS, api, FormOutcome, Problem, Table, TextField, useListAction, useLoad, useSubmit } from '../supply/common';
import { failure, type Failure } from '../supply/view';
import { ROLES, unitsByPerson } from './view';

const TABS: { id: string; label: Key; Body: ComponentType }[] = [
  { id: 'people', label: 'admin.tab.people', Body: People },
  { id: 'calltypes', label: 'admin.tab.callTypes', Body: CallTypeReview },
  { id: 'dispositions', label: 'admin.tab.dispositions', Body: Dispositions },
];

export default function Admin({ param }: ScreenProps) {
  const t = useT();
  const tab = TABS.find((x) => x.id === param.split('/')[0]) ?? TABS[0]!;
  return (
    <section class="supply admin" data-testid="admin" data-tab={tab.id}>
      <h1>{t('admin.title')}</h1>
      <nav class="supply-tabs" aria-label={t('admin.tabs')}>
        {TABS.map((x) => (
          <a key={x.id} href={`#/admin/${x.id}`} class={x.id === tab.id ? 'active' : ''} aria-current={x.id === tab.id ? 'page' : undefined} data-testid={`admin-tab-${x.id}`}>
            {t(x.label)}
          </a>
        ))}
      </nav>
      <tab.Body />
    </section>
  );
}

// --- people ---------------------------------------------------------------------------------

function RoleSelect({ id, value, onChange, testId }: { id: string; value: Role; onChange: (r: Role) => void; testId: string }) {
  const t = useT();
  return (
    <select id={id} data-testid={testId} value={value} onChange={(e) => onChange(e.currentTarget.value as Role)}>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {t(`role.${r}` as Key)}
        </option>
      ))}
    </select>
  );
}

function People() {
  const t = useT();
  const list = useLoad((c) => people.list(c), []);
  const shifts = useLoad((c) => rosters.upcoming(c, new Date()), []);
  const units = unitsByPerson(shifts.data ?? []);
  const action = useListAction(list.reload);
  return (
    <>
      <NewPerson onMade={list.reload} />
      <Problem problem={list.problem ?? action.problem} testId="people-problem" />
      <Table label={t('admin.tab.people')} testId="people-list" columns={['admin.person', 'admin.username', 'admin.role', 'admin.units', 'admin.active', ACTIONS]}>
        <tbody>
          {(list.data ?? []).map((p) => (
            <PersonRow key={p.id} p={p} units={units.get(p.id) ?? []} run={action.run} />
          ))}
        </tbody>
      </Table>
    </>
  );
}

function PersonRow({ p, units, run }: { p: Person; units: string[]; run: ReturnType<typeof useListAction>['run'] }) {
  const t = useT();
  const roleId = `person-role-${p.id}`;
  return (
    <tr data-testid="person-row" data-username={p.username} data-active={String(p.active)}>
      <td>{p.full_name}</td>
      <td>{p.username}</td>
      <td>
        <label for={roleId} class="sr-only">
          {t('admin.role')}
        </label>
        <RoleSelect id={roleId} testId="person-role" value={p.role} onChange={(role) => void run((c) => people.change(c, p.id, { role }))} />
      </td>
      <td>{units.join(', ') || '—'}</td>
      <td>{t(p.active ? 'admin.yes' : 'admin.no')}</td>
      <td>
        <button type="button" class="btn" data-testid="person-active" onClick={() => void run((c) => people.change(c, p.id, { active: !p.active }))}>
          {t(p.active ? 'admin.deactivate' : 'admin.reactivate')}
        </button>
      </td>
    </tr>
  );
}

function NewPerson({ onMade }: { onMade: () => void }) {
  const t = useT();
  const [username, setUsername] = useState('');
  const [fullName, setFullName] = useState('');
  const [role, setRole] = useState<Role>('responder_clinician');
  const [password, setPassword] = useState('');
  const { problem, done, errors, onSubmit } = useSubmit(async (client) => {
    const made = await people.create(client, { username: username.trim(), full_name: fullName.trim(), role, password });
    setUsername('');
    setFullName('');
    setPassword('');
    onMade();
    return t('admin.personMade', { name: made.full_name });
  });
  return (
    <form class="card supply-form" data-testid="person-form" onSubmit={onSubmit} noValidate>
      <h2>{t('admin.newPerson')}</h2>
      <div class="row">
        <TextField id="person-name" label={t('admin.person')} value={fullName} onInput={setFullName} errors={errors} name="full_name" />
        <TextField id="person-username" label={t('admin.username')} value={username} onInput={setUsername} errors={errors} name="username" autocomplete="off" />
        <div class="supply-field">
          <label for="person-new-role">{t('admin.role')}</label>
          <RoleSelect id="person-new-role" testId="person-new-role" value={role} onChange={setRole} />
        </div>
        <TextField id="person-password" label={t('admin.password')} value={password} onInput={setPassword} errors={errors} name="password" secret autocomplete="new-password" />
      </div>
      <button type="submit" class="btn btn-primary" data-testid="person-save">
        {t('admin.createLogin')}
      </button>
      <FormOutcome problem={problem} done={done} testId="person-made" />
    </form>
  );
}

// --- CAD call types waiting to be mapped ------------------------------------------------------

function CallTypeReview() {
  const t = useT();
  const codes = useLoad((c) => callTypes.unmapped(c), []);
  const types = useLoad((c) => callTypes.list(c), []);
  return (
    <>
      <p class="muted">{t('admin.unmappedHelp')}</p>
      <Problem problem={codes.problem ?? types.problem} testId="unmapped-problem" />
      {codes.data && codes.data.length === 0 && <p class="empty" data-testid="unmapped-none">{t('admin.unmappedNone')}</p>}
      <ul class="plain supply-cards" data-testid="unmapped-list">
        {(codes.data ?? []).map((code) => (
          <UnmappedCode key={code.id} code={code} types={types.data ?? []} onMapped={codes.reload} />
        ))}
      </ul>
    </>
  );
}

/** A call type with the programs that answer it, in order (its eligibility). */
function typeLabel(ct: CallType, t: ReturnType<typeof useT>): string {
  const programs = (ct.eligibility ?? []).map((e) => t(`dispatch.response.${e.program}` as Key));
  return programs.length ? `${ct.name} (${programs.join(', ')})` : ct.name;
}

function UnmappedCode({ code, types, onMapped }: { code: CadCode; types: CallType[]; onMapped: () => void }) {
  const t = useT();
  const [chosen, setChosen] = useState('');
  const [problem, setProblem] = useState<Failure | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const selectId = `map-${code.id}`;
  const save = async (e: Event) => {
    e.preventDefault();
    if (!chosen) {
      setProblem({ kind: 'fields', fields: { call_type: t('admin.chooseType') } });
      return;
    }
    try {
      const mapped = await callTypes.map(api(), code.id, chosen);
      setProblem(null);
      setDone(t('admin.mapped', { count: mapped.calls_moved }));
      onMapped();
    } catch (err) {
      setProblem(failure(err));
    }
  };
  return (
    <li class="card" data-testid="unmapped" data-cad-code={code.cad_code}>
      <strong>{code.cad_code}</strong>
      <p class="muted small">{t('admin.seen', { count: code.calls_seen, when: formatDateTime(code.last_seen_at) })}</p>
      <form class="row" onSubmit={(e) => void save(e)} noValidate>
        <label for={selectId}>{t('admin.mapTo')}</label>
        <select id={selectId} data-testid="map-type" value={chosen} onChange={(e) => setChosen(e.currentTarget.value)}>
          <option value="">{t('supply.choose')}</option>
          {types
            .filter((ct) => ct.code !== UNMAPPED_TYPE)
            .map((ct) => (
              <option key={ct.code} value={ct.code}>
                {typeLabel(ct, t)}
              </option>
            ))}
        </select>
        <button type="submit" class="btn btn-primary" data-testid="map-save">
          {t('admin.map')}
        </button>
      </form>
      <FormOutcome problem={problem} done={done} testId="map-done" />
    </li>
  );
}

/** The placeholder type unmapped calls wait under (server/dispatch): never a mapping's target. */
const UNMAPPED_TYPE = 'unmapped';

// --- the disposition list -------------------------------------------------------------------

function Dispositions() {
  const t = useT();
  const list = useLoad((c) => dispositions.list(c), []);
  const action = useListAction(list.reload);
  return (
    <>
      <NewDisposition onMade={list.reload} />
      <Problem problem={list.problem ?? action.problem} testId="dispositions-problem" />
      <Table label={t('admin.tab.dispositions')} testId="disposition-list" columns={['admin.code', 'admin.labelEn', 'admin.labelEs', 'admin.order', 'admin.active', ACTIONS]}>
        <tbody>
          {(list.data ?? []).map((d) => (
            <DispositionRow key={d.id} d={d} run={action.run} />
          ))}
        </tbody>
      </Table>
    </>
  );
}

function DispositionRow({ d, run }: { d: DispositionEntry; run: ReturnType<typeof useListAction>['run'] }) {
  const t = useT();
  const [en, setEn] = useState(d.label_en);
  const [es, setEs] = useState(d.label_es);
  const [order, setOrder] = useState(String(d.sort_order));
  const changed = en !== d.label_en || es !== d.label_es || order !== String(d.sort_order);
  return (
    <tr data-testid="disposition-row" data-code={d.code} data-active={String(d.active)}>
      <td>{d.code}</td>
      <td>
        <input aria-label={t('admin.labelEn')} data-testid="disposition-en" value={en} onInput={(e) => setEn(e.currentTarget.value)} />
      </td>
      <td>
        <input aria-label={t('admin.labelEs')} data-testid="disposition-es" value={es} onInput={(e) => setEs(e.currentTarget.value)} />
      </td>
      <td>
        <input aria-label={t('admin.order')} class="num-input" type="number" min={0} step={1} data-testid="disposition-order" value={order} onInput={(e) => setOrder(e.currentTarget.value)} />
      </td>
      <td>{t(d.active ? 'admin.yes' : 'admin.no')}</td>
      <td class="row">
        <button
          type="button"
          class="btn btn-primary"
          data-testid="disposition-save-row"
          disabled={!changed}
          onClick={() => void run((c) => dispositions.change(c, d.id, { label_en: en.trim(), label_es: es.trim(), sort_order: Number(order) }))}
        >
          {t('call.save')}
        </button>
        <button type="button" class="btn" data-testid="disposition-active" onClick={() => void run((c) => dispositions.change(c, d.id, { active: !d.active }))}>
          {t(d.active ? 'admin.retire' : 'admin.reactivate')}
        </button>
      </td>
    </tr>
  );
}

function NewDisposition({ onMade }: { onMade: () => void }) {
  const t = useT();
  const [code, setCode] = useState('');
  const [en, setEn] = useState('');
  const [es, setEs] = useState('');
  const { problem, done, errors, onSubmit } = useSubmit(async (client) => {
    const made = await dispositions.create(client, { code: code.trim(), label_en: en.trim(), label_es: es.trim() });
    setCode('');
    setEn('');
    setEs('');
    onMade();
    return t('admin.dispositionMade', { code: made.code });
  });
  return (
    <form class="card supply-form" data-testid="disposition-form" onSubmit={onSubmit} noValidate>
      <h2>{t('admin.newDisposition')}</h2>
      <div class="row">
        <TextField id="disposition-new-code" label={t('admin.code')} value={code} onInput={setCode} errors={errors} name="code" />
        <TextField id="disposition-new-en" label={t('admin.labelEn')} value={en} onInput={setEn} errors={errors} name="label_en" />
        <TextField id="disposition-new-es" label={t('admin.labelEs')} value={es} onInput={setEs} errors={errors} name="label_es" />
      </div>
      <button type="submit" class="btn btn-primary" data-testid="disposition-new-save">
        {t('admin.add')}
      </button>
      <FormOutcome problem={problem} done={done} testId="disposition-made" />
    </form>
  );
}
