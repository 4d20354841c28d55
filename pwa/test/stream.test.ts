import { describe, expect, it } from 'vitest';
import { openStream, parseSse, type LiveEvent, type LiveState } from '../src/lib/stream';
import { ApiClient, type FetchFn } from '../src/api/client';
import { openLiveStream } from '../src/app/live';
import { getMeta } from '../src/db';
import { freshDb } from './helpers';

describe('parseSse', () => {
  it('splits whole frames and keeps an unfinished one for the next chunk', () => {
    const { frames, rest } = parseSse('event: ready\ndata: {"last_event_id": 4}\n\nid: 5\nevent: backup.requested\ndata: {"a"');
    expect(frames).toEqual([{ id: null, event: 'ready', data: '{"last_event_id": 4}' }]);
    expect(rest).toBe('id: 5\nevent: backup.requested\ndata: {"a"');
    const next = parseSse(rest + ': 1}\n\n');
    expect(next.frames).toEqual([{ id: '5', event: 'backup.requested', data: '{"a": 1}' }]);
    expect(next.rest).toBe('');
  });

  it('skips keepalive comments and joins multi-line data', () => {
    const { frames } = parseSse(': keepalive\n\nid: 9\ndata: one\ndata: two\n\n');
    expect(frames).toEqual([{ id: '9', event: 'message', data: 'one\ntwo' }]);
  });

  it('reads CRLF and CR line endings, waiting when a CR may be half of a CRLF', () => {
    expect(parseSse('id: 1\r\nevent: x\r\ndata: {}\r\n\r\n').frames).toEqual([{ id: '1', event: 'x', data: '{}' }]);
    expect(parseSse('id: 2\rdata: {}\r\r').frames).toEqual([]);
    expect(parseSse('id: 2\rdata: {}\r\rid: 3\r').frames).toEqual([{ id: '2', event: 'message', data: '{}' }]);
  });
});

/** A fake stream endpoint: each connection gets the next script of chunks, then the body ends (or hangs). */
function fakeStreamServer(scripts: { status?: number; chunks: string[]; hang?: boolean }[]) {
  const seen: { path: string; auth: string | null; lastEventId: string | null; body: unknown }[] = [];
  let n = 0;
  const fetchFn: FetchFn = async (input, init) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    seen.push({ path: input, auth: headers.Authorization ?? null, lastEventId: headers['Last-Event-ID'] ?? null, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    if (input.endsWith('/stream/receipts')) return new Response('{"recorded": 1}', { status: 200 });
    const script = scripts[Math.min(n++, scripts.length - 1)]!;
    if (script.status && script.status !== 200) return new Response('{"action": "refresh"}', { status: script.status });
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of script.chunks) c.enqueue(new TextEncoder().encode(chunk));
        if (!script.hang) c.close();
        init?.signal?.addEventListener('abort', () => c.error(new Error('aborted')));
      },
    });
    return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
  };
  return { fetchFn, seen };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe('openStream', () => {
  it('hands events to the screen, resumes from the last id after a cut, and posts receipts for backup events', async () => {
    const server = fakeStreamServer([
      { chunks: ['event: ready\ndata: {"last_event_id": 10}\n\n', 'id: 11\nevent: backup.requested\ndata: {"id": "b1"}\n\nid: 12\nevent: call.upd', 'ated\ndata: {}\n\n'] },
      { chunks: ['event: ready\ndata: {"last_event_id": 12}\n\nid: 13\nevent: checkin.due\ndata: {"call_id": "c1"}\n\n'], hang: true },
    ]);
    const events: LiveEvent[] = [];
    const states: LiveState[] = [];
    const s = openStream({ token: async () => 'T', onEvent: (e) => events.push(e), onState: (st) => states.push(st), fetchFn: server.fetchFn, random: () => 0 });
    await until(() => events.length === 3 && server.seen.some((r) => r.path.endsWith('/receipts')));
    s.close();
    expect(events.map((e) => [e.id, e.type])).toEqual([[11, 'backup.requested'], [12, 'call.updated'], [13, 'checkin.due']]);
    const streams = server.seen.filter((r) => r.path === '/api/v1/stream');
    expect(streams.map((r) => r.lastEventId)).toEqual([null, '12']);
    expect(streams.every((r) => r.auth === 'Bearer T')).toBe(true);
    const receipted = server.seen.filter((r) => r.path.endsWith('/receipts')).flatMap((r) => (r.body as { event_ids: number[] }).event_ids);
    expect(receipted.sort()).toEqual([11, 13]);
    expect(states).toContain('open');
    expect(states.at(-1)).toBe('closed');
  });

  it('starts from the id it was given and refreshes the token once on a 401', async () => {
    const server = fakeStreamServer([{ status: 401, chunks: [] }, { chunks: ['id: 8\nevent: backup.acknowledged\ndata: {}\n\n'], hang: true }]);
    const events: LiveEvent[] = [];
    const s = openStream({ token: async () => 'OLD', refresh: async () => 'NEW', lastEventId: 7, onEvent: (e) => events.push(e), fetchFn: server.fetchFn, random: () => 0 });
    await until(() => events.length === 1);
    s.close();
    const streams = server.seen.filter((r) => r.path === '/api/v1/stream');
    expect(streams.map((r) => [r.auth, r.lastEventId])).toEqual([['Bearer OLD', '7'], ['Bearer NEW', '7']]);
  });
});

describe('openLiveStream', () => {
  it('keeps the last event id in the local store, so a reload resumes from it', async () => {
    freshDb();
    const server = fakeStreamServer([{ chunks: ['id: 21\nevent: call.updated\ndata: {}\n\n'], hang: true }]);
    const api = new ApiClient(server.fetchFn, { get: () => ({ access: 'A', refresh: 'R' }), set: async () => {} });
    const events: LiveEvent[] = [];
    const first = await openLiveStream(api, (e) => events.push(e), undefined, server.fetchFn);
    await until(() => events.length === 1);
    first.close();
    await until(() => server.seen.length === 1);
    expect(await getMeta('stream_last_event_id')).toBe(21);
    const again = await openLiveStream(api, () => {}, undefined, server.fetchFn);
    await until(() => server.seen.length === 2);
    again.close();
    expect(server.seen[1]!.lastEventId).toBe('21');
  });
});
