import { beforeEach, describe, expect, it } from 'vitest';
import { getFieldAlerts, keepAlerts, keptAlerts, takeLiveEvent } from '../src/app/fieldAlerts';
import { newDataKey } from '../src/crypto/keys';
import { getMeta } from '../src/db';
import { ageMinutes, applyAlertEvent, bannerAlerts, broadcastAlerts, dismissAlert, NO_ALERTS, whereOf, type AlertState } from '../src/lib/alerts';
import type { LiveEvent } from '../src/lib/stream';
import { freshUnlockedDevice, testUser } from './helpers';

const OWN_UNIT = 1;
const NOW = Date.parse('2026-11-25T01:10:00Z');
let nextId = 100;
/** A backup.* event as the server sends it (its payload is the request). */
const event = (type: string, extra: Record<string, unknown> = {}): LiveEvent => ({
  id: nextId++,
  type,
  data: {
    id: 'r-1', unit_id: 4, call_sign: 'HEART-4', address: '12 Elm St', cad_number: 'C-9', urgency: 'urgent',
    position: { lat: 35.994, lon: -78.899, accuracy_m: 8 }, requested_at: '2026-11-25T01:02:00Z', broadcast_at: null, ...extra,
  },
});
const fold = (...events: LiveEvent[]): AlertState => events.reduce((s, e) => applyAlertEvent(s, e, OWN_UNIT, NOW), NO_ALERTS);

describe("other units' backup requests on a field tablet", () => {
  it("a request is a banner with the unit's call sign, the address, the urgency and its age", () => {
    const [banner] = bannerAlerts(fold(event('backup.requested')));
    expect(banner).toMatchObject({ id: 'r-1', kind: 'requested', callSign: 'HEART-4', address: '12 Elm St', urgency: 'urgent' });
    expect(ageMinutes(banner!, NOW)).toBe(8);
  });

  it("the unit's own request is its backup panel's, never a banner on its own tablet", () => {
    expect(bannerAlerts(fold(event('backup.requested', { unit_id: OWN_UNIT })))).toEqual([]);
  });

  it('a dismissed banner stays dismissed for that event; the escalation shows again', () => {
    const requested = event('backup.requested');
    let state = fold(requested);
    state = dismissAlert(state, bannerAlerts(state)[0]!);
    expect(bannerAlerts(state)).toEqual([]);
    state = applyAlertEvent(state, event('backup.escalated', { tier: 1 }), OWN_UNIT, NOW);
    expect(bannerAlerts(state).map((a) => a.kind)).toEqual(['escalated']);
  });

  it('dismissing one request leaves the others', () => {
    let state = fold(event('backup.requested'), event('backup.requested', { id: 'r-2', call_sign: 'HEART-2', requested_at: '2026-11-25T01:05:00Z' }));
    state = dismissAlert(state, bannerAlerts(state)[0]!);
    expect(bannerAlerts(state).map((a) => a.callSign)).toEqual(['HEART-2']);
  });

  it('the broadcast is no banner but the overlay; no dismissal or later escalation hides it; only a close does', () => {
    let state = fold(event('backup.requested'), event('backup.broadcast', { broadcast_at: '2026-11-25T01:06:00Z' }));
    expect(bannerAlerts(state)).toEqual([]);
    const [overlay] = broadcastAlerts(state);
    expect(overlay).toMatchObject({ callSign: 'HEART-4', address: '12 Elm St' });
    state = dismissAlert(state, overlay!);
    state = applyAlertEvent(state, event('backup.escalated'), OWN_UNIT, NOW);
    expect(broadcastAlerts(state)).toHaveLength(1);
    for (const close of ['backup.acknowledged', 'backup.resolved', 'backup.cancelled']) {
      expect(broadcastAlerts(applyAlertEvent(state, event(close), OWN_UNIT, NOW))).toEqual([]);
    }
  });

  it('an acknowledged request leaves the banners too; an event about another request leaves it', () => {
    const state = fold(event('backup.requested'));
    expect(applyAlertEvent(state, event('backup.cancelled', { id: 'r-9' }), OWN_UNIT, NOW)).toBe(state);
    expect(bannerAlerts(applyAlertEvent(state, event('backup.acknowledged'), OWN_UNIT, NOW))).toEqual([]);
  });

  it('with no address, the position it carries; with neither, nothing to show', () => {
    const [noAddress] = bannerAlerts(fold(event('backup.requested', { address: null })));
    expect(whereOf(noAddress!)).toBe('35.99400, -78.89900');
    const [nowhere] = bannerAlerts(fold(event('backup.requested', { address: null, position: null })));
    expect(whereOf(nowhere!)).toBeNull();
  });

  it('a request with no time of its own is aged from when it came', () => {
    const [banner] = bannerAlerts(fold(event('backup.requested', { requested_at: null })));
    expect(ageMinutes(banner!, NOW)).toBe(0);
  });
});

describe('the live events the field screens hold', () => {
  let key: CryptoKey;
  beforeEach(async () => {
    key = await freshUnlockedDevice();
  });

  it("keeps the server's check-in prompt by call, and other units' requests by the signed-in unit", () => {
    takeLiveEvent({ id: 1, type: 'checkin.due', data: { call_id: '41', since: '2026-11-25T01:00:00Z', due_at: '2026-11-25T01:20:00Z' } });
    expect(getFieldAlerts().prompts.get('41')?.since).toBe(Date.parse('2026-11-25T01:00:00Z'));
    takeLiveEvent(event('backup.requested', { id: 'r-own', unit_id: testUser.unit_id }));
    takeLiveEvent(event('backup.requested', { id: 'r-other' }));
    expect([...getFieldAlerts().alerts.open.keys()]).toEqual(['r-other']);
  });

  it('a broadcast outlives a reload: the requests are kept sealed, and read back only with the data key', async () => {
    const state = fold(event('backup.broadcast', { broadcast_at: '2026-11-25T01:06:00Z' }), event('backup.requested', { id: 'r-2' }));
    await keepAlerts(key, dismissAlert(state, bannerAlerts(state)[0]!));
    const sealed = await getMeta<string>('field_alerts');
    expect(sealed).toMatch(/^enc1:/);
    expect(sealed).not.toContain('Elm');
    const back = await keptAlerts(key);
    expect(broadcastAlerts(back).map((a) => a.id)).toEqual(['r-1']);
    expect(bannerAlerts(back)).toEqual([]);
    expect(await keptAlerts(await newDataKey())).toBe(NO_ALERTS);
  });

  it('a reset (the events missed are gone from the server) drops the requests, whose closes may be among them', () => {
    takeLiveEvent(event('backup.broadcast', { id: 'r-3', broadcast_at: '2026-11-25T01:06:00Z' }));
    expect(broadcastAlerts(getFieldAlerts().alerts)).toHaveLength(1);
    takeLiveEvent({ id: 0, type: 'reset', data: {} });
    expect(getFieldAlerts().alerts.open.size).toBe(0);
  });
});
