import { describe, expect, it } from 'vitest';
import { board, type BackupRequest } from '../src/api/board';
import { ApiClient, HttpError } from '../src/api/client';
import { homePath, screenFor } from '../src/app/screens';
import { ageText, isBroadcast } from '../src/screens/board/view';
import { fakeFetch, staticTokens } from './helpers';

const at = Date.parse('2026-12-01T12:00:00Z');

describe('a backup request on the board', () => {
  it('tells its age in seconds, minutes, then hours', () => {
    expect(ageText('2026-12-01T11:59:15Z', at)).toBe('45 s');
    expect(ageText('2026-12-01T11:57:00Z', at)).toBe('3 min');
    expect(ageText('2026-12-01T09:55:00Z', at)).toBe('2 h 5 min');
    expect(ageText(null, at)).toBe('—');
    expect(ageText('2026-12-01T12:00:05Z', at)).toBe('0 s');
  });

  it('keeps the broadcast banner while a broadcast request is unanswered', () => {
    const r = { state: 'open', tier_name: 'all_units', broadcast_at: null } as BackupRequest;
    expect(isBroadcast(r)).toBe(false);
    expect(isBroadcast({ ...r, tier_name: 'broadcast' })).toBe(true);
    expect(isBroadcast({ ...r, broadcast_at: '2026-12-01T12:00:00Z' })).toBe(true);
    expect(isBroadcast({ ...r, tier_name: 'broadcast', state: 'acknowledged' })).toBe(false);
    expect(isBroadcast({ ...r, tier_name: 'broadcast', state: 'resolved' })).toBe(false);
  });
});

describe('the board in the navigation', () => {
  it('is where a supervisor lands, a dispatcher opens it, and no field role does', () => {
    expect(homePath('supervisor')).toBe('/board');
    expect(screenFor('/board', 'dispatcher')?.id).toBe('board');
    expect(screenFor('/board', 'responder_peer')).toBeNull();
    expect(screenFor('/board', 'supply_manager')).toBeNull();
  });
});

describe("the board's calls", () => {
  it('draws the grid when the server has no basemap, and reports other failures', async () => {
    const none = new ApiClient(fakeFetch(() => [404, { message: 'no basemap' }]).fetch, staticTokens);
    expect(await board.basemap(none)).toEqual([]);
    const down = new ApiClient(fakeFetch(() => [500, { message: 'boom' }]).fetch, staticTokens);
    await expect(board.basemap(down)).rejects.toBeInstanceOf(HttpError);
  });

  it('reads the open requests, acknowledges one and resolves it with its reason', async () => {
    const { fetch, requests } = fakeFetch((r) => (r.method === 'GET' ? [200, { items: [{ id: 'b1' }], total: 1 }] : [200, { id: 'b1' }]));
    const client = new ApiClient(fetch, staticTokens);
    expect((await board.openBackups(client)).map((b) => b.id)).toEqual(['b1']);
    await board.acknowledge(client, 'b1');
    await board.resolve(client, 'b1', 'second crew arrived');
    expect(requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ['GET', '/api/v1/backups?state=open', undefined],
      ['POST', '/api/v1/backups/b1/acknowledge', {}],
      ['POST', '/api/v1/backups/b1/resolve', { reason: 'second crew arrived' }],
    ]);
  });
});
