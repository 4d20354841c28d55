import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BoardUnit } from '../src/api/board';
import type { Role } from '../src/api/types';
import { ApiClient, HttpError } from '../src/api/client';
import { dispatch } from '../src/api/dispatch';
import openapi from '../src/api/openapi.json';
import { homePath, screenFor } from '../src/app/screens';
import { translate } from '../src/i18n';
import {
  canCloseFromDesk,
  canResolveByPhone,
  checkAssign,
  debounce,
  DECLINE_CODES,
  distanceText,
  isHeartResponse,
  isQueueEvent,
  oneClickUnit,
  overrideRequired,
  overrideToSend,
  reasonLabel,
  recentlyUpdated,
  responseLabel,
  sortQueue,
  unitChoices,
  UPDATED_RECENT_MS,
} from '../src/screens/dispatch/view';
import { failure } from '../src/screens/supply/view';
import { queueCall as call, rec } from './dispatchFixtures';
import { fakeFetch, staticTokens } from './helpers';


const unit = (over: Partial<BoardUnit>): BoardUnit => ({ unit_id: 1, call_sign: 'HEART-1', status: 'available', program: 'community_response', call: null, position: null, crew: [], ...over });

const en = (key: Parameters<typeof translate>[1]) => translate('en', key);
const es = (key: Parameters<typeof translate>[1]) => translate('es', key);

describe('the dispatch queue', () => {
  it('shows the newest call first, the same order on every read', () => {
    const calls = [
      call({ id: 'a', cad_number: '1', received_at: '2026-12-01T11:00:00Z' }),
      call({ id: 'b', cad_number: '3', received_at: '2026-12-01T12:30:00Z' }),
      call({ id: 'c', cad_number: '2', received_at: '2026-12-01T12:30:00Z' }),
      call({ id: 'd', cad_number: '0', received_at: 'not a time' }),
    ];
    expect(sortQueue(calls).map((c) => c.id)).toEqual(['c', 'b', 'a', 'd']);
    expect(sortQueue([...calls].reverse()).map((c) => c.id)).toEqual(['c', 'b', 'a', 'd']);
    expect(calls.map((c) => c.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('marks a call the CAD changed lately as updated, and not one changed long ago or never', () => {
    const now = Date.parse('2026-12-01T12:20:00Z');
    expect(recentlyUpdated(call({ cad_updated_at: '2026-12-01T12:15:00Z' }), now)).toBe(true);
    expect(recentlyUpdated(call({ cad_updated_at: new Date(now - UPDATED_RECENT_MS).toISOString() }), now)).toBe(true);
    expect(recentlyUpdated(call({ cad_updated_at: new Date(now - UPDATED_RECENT_MS - 1000).toISOString() }), now)).toBe(false);
    expect(recentlyUpdated(call({ cad_updated_at: null }), now)).toBe(false);
  });

  it('reads the queue again on the call events of the stream and on a reset, not on others', () => {
    for (const type of ['call.received', 'call.updated', 'call.assigned', 'call.resolved', 'reset']) expect(isQueueEvent(type)).toBe(true);
    for (const type of ['backup.requested', 'checkin.due', 'call.note']) expect(isQueueEvent(type)).toBe(false);
  });
});

describe('a burst of stream events', () => {
  afterEach(() => vi.useRealTimers());

  it('reads the queue once, after the last event of the burst', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const soon = debounce(fn, 400);
    soon.call();
    vi.advanceTimersByTime(300);
    soon.call();
    vi.advanceTimersByTime(300);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(fn).toHaveBeenCalledTimes(1);
    soon.call();
    soon.cancel();
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe('the override rule', () => {
  it('asks why when the unit sent is not the recommended one', () => {
    expect(overrideRequired(call(), 3)).toBe(false);
    expect(overrideRequired(call(), 4)).toBe(true);
  });

  it('asks why for any unit when the triage recommended none', () => {
    expect(overrideRequired(call({ recommendation: rec({ response: 'police', unit_id: null, call_sign: null }) }), 3)).toBe(true);
    expect(overrideRequired(call({ recommendation: null }), 3)).toBe(true);
  });

  it('checks the form before sending: a unit, then a reason when it overrides', () => {
    expect(checkAssign(call(), null, '')).toEqual({ unit_id: 'dispatch.error.unit' });
    expect(checkAssign(call(), 3, '')).toEqual({});
    expect(checkAssign(call(), 4, '   ')).toEqual({ override_reason: 'dispatch.error.override' });
    expect(checkAssign(call(), 4, 'HEART-3 is low on fuel')).toEqual({});
  });

  it('sends the reason trimmed only when it overrides', () => {
    expect(overrideToSend(call(), 4, '  closer by road ')).toBe('closer by road');
    expect(overrideToSend(call(), 3, 'typed then the recommended unit picked')).toBeNull();
  });

  it('offers the recommended unit in one click until it is on the call', () => {
    expect(oneClickUnit(call())).toBe(3);
    expect(oneClickUnit(call({ unit_id: 3, call_sign: 'HEART-3', status: 'dispatched' }))).toBeNull();
    expect(oneClickUnit(call({ unit_id: 5, call_sign: 'HEART-5', status: 'dispatched' }))).toBe(3);
    expect(oneClickUnit(call({ recommendation: rec({ response: 'police', unit_id: null }) }))).toBeNull();
    expect(oneClickUnit(call({ recommendation: null }))).toBeNull();
  });

  it('resolves by phone or declines only a call nobody was sent to, by phone only for diversion', () => {
    expect(canCloseFromDesk(call())).toBe(true);
    expect(canCloseFromDesk(call({ unit_id: 3 }))).toBe(false);
    expect(canResolveByPhone('diversion_clinician')).toBe(true);
    expect(canResolveByPhone('supervisor')).toBe(true);
    expect(canResolveByPhone('dispatcher')).toBe(false);
    expect(canResolveByPhone(undefined)).toBe(false);
  });
});

describe('labels of the queue', () => {
  it('names every program and response in English and Spanish, and an unknown one in plain words', () => {
    expect(responseLabel(en, 'community_response')).toBe('Community response');
    expect(responseLabel(es, 'co_response')).toBe('Respuesta conjunta');
    expect(responseLabel(en, 'ems')).toBe('EMS');
    expect(responseLabel(es, 'police')).toBe('Policía');
    expect(responseLabel(en, 'fire_department')).toBe('fire department');
    expect(isHeartResponse('crisis_call_diversion')).toBe(true);
    expect(isHeartResponse('police')).toBe(false);
    expect(isHeartResponse('fire_department')).toBe(false);
  });

  it('names every reason code in both languages, each its own words', () => {
    const codes = [...DECLINE_CODES, 'resolved_by_phone'];
    for (const lang of [en, es]) {
      const words = codes.map((c) => reasonLabel(lang, c));
      expect(new Set(words).size).toBe(codes.length);
      for (const w of words) expect(w).not.toMatch(/^dispatch\.|_/);
    }
    expect(reasonLabel(en, 'all_busy')).toBe('All units busy');
    expect(reasonLabel(es, 'outside_hours')).toBe('Fuera del horario de servicio');
    expect(reasonLabel(en, 'new_code')).toBe('new code');
  });

  it('declines with the codes the server takes: every reason but "resolved by phone", which has its own act', () => {
    expect([...DECLINE_CODES].sort()).toEqual([...openapi.components.schemas.Decline.properties.reason_code.enum].sort());
    expect(DECLINE_CODES).not.toContain('resolved_by_phone');
  });

  it('tells a distance in metres under a kilometre and in kilometres above, in the numbers of US English or Spanish', () => {
    expect(distanceText(349.6)).toBe('350 m');
    expect(distanceText(1234)).toBe('1.2 km');
    expect(distanceText(1234, 'es')).toBe('1.2 km');
    expect(distanceText(12_000)).toBe('12.0 km');
    expect(distanceText(null)).toBe('');
    expect(distanceText(Number.NaN)).toBe('');
  });

  it('lists the available units first in the unit picker, then busy ones, then those off shift', () => {
    const units = [unit({ unit_id: 1, call_sign: 'B', status: 'off_shift' }), unit({ unit_id: 2, call_sign: 'C', status: 'on_scene' }), unit({ unit_id: 3, call_sign: 'Z', status: 'available' }), unit({ unit_id: 4, call_sign: 'A', status: 'available' })];
    expect(unitChoices(units).map((u) => u.call_sign)).toEqual(['A', 'Z', 'C', 'B']);
  });
});

describe('the dispatch screen in the navigation', () => {
  it('is where a dispatcher and a diversion clinician land; a supervisor opens it; a crew does not', () => {
    expect(homePath('dispatcher')).toBe('/dispatch');
    expect(homePath('diversion_clinician')).toBe('/dispatch');
    expect(homePath('supervisor')).toBe('/board');
    expect(screenFor('/dispatch', 'supervisor')?.id).toBe('dispatch');
    expect(screenFor('/dispatch', 'responder_peer')).toBeNull();
    expect(screenFor('/dispatch', 'supply_manager')).toBeNull();
  });

  it('lands every role of the API on a screen of its own that it may open', () => {
    const roles = openapi.components.schemas.Me.properties.role.enum as Role[];
    expect(roles.length).toBeGreaterThan(8);
    for (const role of roles) {
      const home = homePath(role);
      expect(home, role).not.toBe('/settings');
      expect(screenFor(home, role), role).not.toBeNull();
    }
  });
});

describe("the dispatch screen's calls", () => {
  it('reads the queue and sends each act with its body', async () => {
    const { fetch, requests } = fakeFetch((r) => (r.method === 'GET' ? [200, { items: [call()] }] : [200, call()]));
    const client = new ApiClient(fetch, staticTokens);
    expect((await dispatch.queue(client)).map((c) => c.id)).toEqual(['c1']);
    await dispatch.assign(client, 'c1', 3, null);
    await dispatch.assign(client, 'c1', 4, 'closer by road');
    await dispatch.resolveByPhone(client, 'c1', 'talked through it, safe at home');
    await dispatch.decline(client, 'c1', 'safety', null);
    expect(requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ['GET', '/api/v1/dispatch/queue', undefined],
      ['POST', '/api/v1/dispatch/calls/c1/assign', { unit_id: 3, override_reason: null }],
      ['POST', '/api/v1/dispatch/calls/c1/assign', { unit_id: 4, override_reason: 'closer by road' }],
      ['POST', '/api/v1/dispatch/calls/c1/resolve-by-phone', { note: 'talked through it, safe at home' }],
      ['POST', '/api/v1/dispatch/calls/c1/decline', { reason_code: 'safety', note: null }],
    ]);
  });

  it('puts the server’s refusal beside the field it names, and a refusal naming none on the form', async () => {
    const named = new ApiClient(
      fakeFetch(() => [422, { code: 422, status: 'Unprocessable Entity', errors: { json: { override_reason: ['Say why another unit than the recommended one goes.'] } } }]).fetch,
      staticTokens,
    );
    const e1 = await dispatch.assign(named, 'c1', 4, null).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(HttpError);
    expect(failure(e1)).toEqual({ kind: 'fields', fields: { override_reason: 'Say why another unit than the recommended one goes.' } });
    const closed = new ApiClient(fakeFetch(() => [409, { code: 409, status: 'Conflict', message: 'This call is closed.' }]).fetch, staticTokens);
    const e2 = await dispatch.decline(closed, 'c1', 'declined_by_team', null).catch((e: unknown) => e);
    expect(failure(e2)).toEqual({ kind: 'fields', fields: { '': 'This call is closed.' } });
  });
});
