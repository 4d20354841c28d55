/** A queue call and its recommendation as GET /dispatch/queue answers them, for the dispatch tests. */
import type { QueueCall, Recommendation } from '../src/api/dispatch';

export const rec = (over: Partial<Recommendation> = {}): Recommendation => ({
  response: 'community_response',
  unit_id: 3,
  call_sign: 'HEART-3',
  distance_m: 850,
  reason_code: null,
  reason: 'HEART-3 is the nearest available community response unit (0.9 km).',
  ...over,
});

export const queueCall = (over: Partial<QueueCall> = {}): QueueCall => ({
  id: 'c1',
  cad_number: '2026-001',
  call_type: 'WELFARE',
  call_type_name: 'Welfare check',
  priority: 3,
  address: '100 Main St',
  lat: 45.5,
  lon: -122.6,
  received_at: '2026-12-01T12:00:00Z',
  status: 'received',
  unit_id: null,
  call_sign: null,
  source: 'cad',
  weapon: false,
  violence: false,
  narrative: '',
  cad_updated_at: null,
  eligible: true,
  eligible_programs: ['community_response'],
  unmapped: false,
  recommendation: rec(),
  unserved_reason: null,
  ...over,
});
