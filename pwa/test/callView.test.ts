import { describe, expect, it } from 'vitest';
import { historyOf } from '../src/app/callView';

const premise = {
  history: [
    { call_id: 'this-call', cad_number: 'D1', call_type: 'suicide_threat', call_type_name: 'Suicide threat', received_at: '2026-11-25T01:00:00+00:00', status: 'on_scene' },
    { call_id: 'older', cad_number: 'D0', call_type: 'welfare_check', call_type_name: 'Welfare check', received_at: '2026-11-20T01:00:00+00:00', status: 'cleared' },
  ],
};

describe('premise history', () => {
  it('leaves out the call being viewed and names earlier calls by type name', () => {
    const items = historyOf(premise, 'this-call');
    expect(items).toHaveLength(1);
    expect(items[0].text).toBe('Welfare check — #D0');
    expect(items[0].status).toBe('cleared');
  });

  it('names a nearby premise and its distance, and the disposition', () => {
    const items = historyOf({
      history: [{ call_id: 'n', cad_number: 'D9', call_type_name: 'Trespass', address: '12 Elm St', distance_m: 33, disposition: 'Referred to shelter', status: 'cleared' }],
    });
    expect(items[0].text).toBe('Trespass — #D9 — 12 Elm St (33 m) — Referred to shelter');
  });

  it('ignores a status the app does not know instead of showing a code', () => {
    const items = historyOf({ history: [{ call_id: 'x', call_type: 'drugs', status: 'weird' }] });
    expect(items[0].status).toBeUndefined();
  });
});
