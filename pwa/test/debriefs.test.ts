import { describe, expect, it } from 'vitest';
import { ApiClient, HttpError } from '../src/api/client';
import { debriefs } from '../src/api/debriefs';
import { homePath, screenFor } from '../src/app/screens';
import { noteToSend, shortCallId } from '../src/screens/debriefView';
import { failure } from '../src/screens/supply/view';
import { fakeFetch, staticTokens } from './helpers';

describe('the debrief screen', () => {
  it('names a call by the last characters of its id, which differ between calls of the same minute', () => {
    const a = '01934f2a-7c00-7abc-8def-0123456789ab';
    const b = '01934f2a-7c00-7abc-8def-0123456789cd';
    expect(shortCallId(a)).toBe('456789AB');
    expect(shortCallId(a)).not.toBe(shortCallId(b));
  });

  it('sends a blank note as none and a written one trimmed', () => {
    expect(noteToSend('   ')).toBeNull();
    expect(noteToSend('  talked it over ')).toBe('talked it over');
  });

  it('is a screen of its own beside the board a supervisor lands on, shown to no other role', () => {
    expect(homePath('supervisor')).toBe('/board');
    expect(screenFor('/debriefs/done', 'supervisor')?.id).toBe('debriefs');
    expect(screenFor('/debriefs/open', 'supply_manager')).toBeNull();
    expect(screenFor('/debriefs/open', 'responder_peer')).toBeNull();
  });

  it('asks the queue by state and marks one done with its note', async () => {
    const { fetch, requests } = fakeFetch((r) => (r.method === 'GET' ? [200, []] : [200, { id: 'd1', state: 'done' }]));
    const client = new ApiClient(fetch, staticTokens);
    await debriefs.list(client, 'done');
    await debriefs.done(client, 'd1', 'talked it over');
    expect(requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ['GET', '/api/v1/debriefs?state=done', undefined],
      ['POST', '/api/v1/debriefs/d1/done', { note: 'talked it over' }],
    ]);
  });

  it("shows the server's message on a note too long beside the note", async () => {
    const { fetch } = fakeFetch(() => [422, { errors: { json: { note: ['Longer than maximum length 1000.'] } } }]);
    const err = await debriefs.done(new ApiClient(fetch, staticTokens), 'd1', 'x'.repeat(1001)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    const f = failure(err);
    expect(f.kind === 'fields' && f.fields.note).toBe('Longer than maximum length 1000.');
  });
});
