import { h, render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import type { BoardUnit } from '../src/api/board';
import { ApiClient } from '../src/api/client';
import type { QueueCall } from '../src/api/dispatch';
import type { Role } from '../src/api/types';
import type * as Auth from '../src/app/auth';
import { getSettings, updateSettings } from '../src/app/settings';
import { QueuePanel } from '../src/screens/dispatch/QueuePanel';
import { fakeRoot, type FakeNode } from './fakeDom';
import { queueCall, rec } from './dispatchFixtures';
import { fakeFetch, staticTokens, type Req } from './helpers';

// The screens' client is the signed-in one: here, one talking to the test's fake server.
const signedIn = vi.hoisted(() => ({ client: null as ApiClient | null }));
vi.mock('../src/app/auth', async (original) => ({ ...(await original<typeof Auth>()), sessionApi: () => signedIn.client }));

const MINUTE = 60_000;
const ago = (minutes: number) => new Date(Date.now() - minutes * MINUTE).toISOString();

const call = (over: Partial<QueueCall>): QueueCall => queueCall({ received_at: ago(5), ...over });

const QUEUE = [
  call({ id: 'welfare', cad_number: '2026-001', received_at: ago(12) }),
  call({
    id: 'fight',
    cad_number: '2026-003',
    received_at: ago(2),
    call_type: 'XYZ',
    call_type_name: 'Unknown code XYZ',
    weapon: true,
    cad_updated_at: ago(1),
    unmapped: true,
    recommendation: rec({ response: 'police', unit_id: null, call_sign: null, distance_m: null, reason_code: 'safety', reason: 'A weapon was reported and no co-response team is on shift.' }),
  }),
  call({ id: 'sent', cad_number: '2026-002', received_at: ago(7), status: 'dispatched', unit_id: 5, call_sign: 'HEART-5' }),
];

const UNITS: BoardUnit[] = [
  { unit_id: 3, call_sign: 'HEART-3', status: 'available', program: 'community_response', call: null, position: null, crew: [] },
  { unit_id: 4, call_sign: 'HEART-4', status: 'available', program: 'community_response', call: null, position: null, crew: [] },
];

let root: FakeNode;
let reload: Mock<() => void>;
let requests: Req[];

function serve(answer: (r: Req) => [number, unknown]) {
  const server = fakeFetch(answer);
  requests = server.requests;
  signedIn.client = new ApiClient(server.fetch, staticTokens);
}

function show(role: Role, calls: QueueCall[] = QUEUE) {
  act(() => {
    render(h(QueuePanel, { calls, units: UNITS, role, reload }), root as unknown as Element);
  });
}

const row = (id: string) => root.findAll((n) => n.getAttribute('data-call-id') === id)[0]!;
const text = (n: FakeNode, id: string) => n.one(id).textContent;
const has = (n: FakeNode, id: string) => n.byTestId(id).length > 0;

async function submit(form: FakeNode) {
  await act(async () => {
    form.fire('submit');
  });
}

function type(field: FakeNode, value: string, event = 'input') {
  act(() => {
    field.value = value;
    field.fire(event);
  });
}

beforeEach(() => {
  root = fakeRoot();
  reload = vi.fn<() => void>();
  serve(() => [200, QUEUE[0]]);
});

afterEach(() => {
  act(() => render(null, root as unknown as Element));
  updateSettings({ lang: 'en' });
});

describe('the dispatch queue on screen', () => {
  it('lists the calls newest first, each with its recommendation, the server’s reason as given, and its marks', () => {
    show('dispatcher');
    expect(root.byTestId('dispatch-call').map((r) => r.getAttribute('data-call-id'))).toEqual(['fight', 'sent', 'welfare']);

    const fight = row('fight');
    expect(['mark-weapon', 'mark-updated', 'mark-unmapped'].every((m) => has(fight, m))).toBe(true);
    expect(has(fight, 'mark-violence')).toBe(false);
    expect(text(fight, 'rec-response')).toBe('Police');
    expect(text(fight, 'rec-reason-code')).toBe('Safety: weapon or violence');
    expect(text(fight, 'rec-reason')).toBe('A weapon was reported and no co-response team is on shift.');
    expect(text(fight, 'call-age')).toBe('2 min ago');
    expect(has(fight, 'assign-recommended')).toBe(false);

    const welfare = row('welfare');
    expect(text(welfare, 'rec-response')).toBe('Community response');
    expect(text(welfare, 'rec-unit')).toBe('Unit HEART-3');
    expect(welfare.one('dispatch-rec').textContent).toContain('850 m away');
    expect(text(welfare, 'assign-recommended')).toBe('Assign HEART-3');
    expect(has(welfare, 'mark-updated')).toBe(false);
  });

  it('offers resolve by phone to a diversion clinician only, and closes from the desk only calls nobody was sent to', () => {
    show('dispatcher');
    expect(has(root, 'resolve-by-phone')).toBe(false);
    expect(has(row('welfare'), 'decline')).toBe(true);
    expect(has(row('sent'), 'decline')).toBe(false);
    expect(text(row('sent'), 'assign-other')).toBe('Reassign');
    expect(text(row('sent'), 'call-assigned')).toBe('Assigned: HEART-5');

    show('diversion_clinician');
    expect(has(row('welfare'), 'resolve-by-phone')).toBe(true);
    expect(has(row('sent'), 'resolve-by-phone')).toBe(false);
  });

  it('speaks Spanish but shows the server’s sentence as it came', () => {
    updateSettings({ lang: 'es' });
    expect(getSettings().lang).toBe('es');
    show('dispatcher');
    const fight = row('fight');
    expect(text(fight, 'rec-response')).toBe('Policía');
    expect(text(fight, 'rec-reason-code')).toBe('Seguridad: arma o violencia');
    expect(text(fight, 'mark-weapon')).toBe('Arma');
    expect(text(fight, 'rec-reason')).toBe('A weapon was reported and no co-response team is on shift.');
    expect(text(row('welfare'), 'assign-recommended')).toBe('Asignar HEART-3');
  });
});

describe('acting on a call from the queue', () => {
  it('assigns the recommended unit in one click, with no override reason', async () => {
    show('dispatcher');
    await act(async () => {
      row('welfare').one('assign-recommended').fire('click');
    });
    await vi.waitFor(() => expect(reload).toHaveBeenCalled());
    expect(requests.map((r) => [r.method, r.path, r.body])).toEqual([['POST', '/api/v1/dispatch/calls/welfare/assign', { unit_id: 3, override_reason: null }]]);
  });

  it('asks why before sending another unit than the recommended one, then sends the reason with it', async () => {
    show('dispatcher');
    act(() => void row('welfare').one('assign-other').fire('click'));
    const form = root.one('dispatch-assign-form');
    type(form.one('assign-unit'), '4', 'change');
    await submit(form);
    expect(text(form, 'error-override_reason')).toBe('Say why another unit than the recommended one goes.');
    expect(requests).toEqual([]);

    type(form.one('assign-override-reason'), '  HEART-3 is low on fuel ');
    await submit(form);
    await vi.waitFor(() => expect(reload).toHaveBeenCalled());
    expect(requests.map((r) => r.body)).toEqual([{ unit_id: 4, override_reason: 'HEART-3 is low on fuel' }]);
    expect(has(root, 'dispatch-assign-form')).toBe(false);
  });

  it('needs no reason when the recommended unit is picked from the list', async () => {
    show('dispatcher');
    act(() => void row('welfare').one('assign-other').fire('click'));
    const form = root.one('dispatch-assign-form');
    type(form.one('assign-unit'), '3', 'change');
    expect(has(form, 'assign-override-reason')).toBe(false);
    await submit(form);
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    expect(requests[0]!.body).toEqual({ unit_id: 3, override_reason: null });
  });

  it('shows the server’s refusal beside the field it names, and one naming no field on the form', async () => {
    serve(() => [422, { code: 422, status: 'Unprocessable Entity', errors: { json: { override_reason: ['Say why another unit than the recommended one goes.'] } } }]);
    show('dispatcher');
    await act(async () => {
      row('welfare').one('assign-recommended').fire('click');
    });
    await vi.waitFor(() => expect(text(row('welfare'), 'assign-recommended-error')).toBe('Say why another unit than the recommended one goes.'));

    serve(() => [409, { code: 409, status: 'Conflict', message: 'This call is closed.' }]);
    act(() => void row('welfare').one('decline').fire('click'));
    const form = root.one('dispatch-decline-form');
    expect(form.one('decline-code').value).toBe('declined_by_team');
    await submit(form);
    await vi.waitFor(() => expect(text(form, 'error-')).toBe('This call is closed.'));
    expect(requests.map((r) => r.body)).toEqual([{ reason_code: 'declined_by_team', note: null }]);
    expect(reload).not.toHaveBeenCalled();
  });

  it('resolves by phone only with a note saying how', async () => {
    show('diversion_clinician');
    act(() => void row('welfare').one('resolve-by-phone').fire('click'));
    const form = root.one('dispatch-phone-form');
    await submit(form);
    expect(text(form, 'error-note')).toBe('Write how the call was resolved.');
    type(form.one('phone-note'), 'Talked it through; staying with her sister tonight.');
    await submit(form);
    await vi.waitFor(() => expect(reload).toHaveBeenCalled());
    expect(requests.map((r) => [r.path, r.body])).toEqual([['/api/v1/dispatch/calls/welfare/resolve-by-phone', { note: 'Talked it through; staying with her sister tonight.' }]]);
  });
});
