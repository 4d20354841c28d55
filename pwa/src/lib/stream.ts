/**
 * The live stream (GET /api/v1/stream): server-sent events read with fetch, so the token goes
 * in the Authorization header and never in a URL. It resumes from the last event id after a
 * cut, reconnects with the sync's backoff, refreshes an expired token once, and posts delivery
 * receipts for the backup and check-in events it handed to the screen (the requester's tablet
 * shows "delivered to N people" from them).
 */
import { backoffDelay } from './backoff';
import { API, type FetchFn } from '../api/client';

export interface LiveEvent {
  id: number;
  type: string;
  data: Record<string, unknown>;
}
export type LiveState = 'connecting' | 'open' | 'closed';

/** One whole SSE frame: its `id:` (if any), `event:` (default "message") and joined `data:` lines. */
export interface SseFrame {
  id: string | null;
  event: string;
  data: string;
}

/** The server sends a keepalive comment every 15 s: three missed means the connection is dead. */
export const STREAM_SILENCE_MS = 45_000;
/** Receipts wait this long to go out together (one POST for a burst of events). */
export const RECEIPT_BATCH_MS = 500;
/** The server takes at most this many event ids per receipt POST. */
export const RECEIPT_MAX_IDS = 100;
/** Events whose receipts the server counts as "delivered to a person". */
const RECEIPT_TYPES = /^(backup|checkin)\./;

/**
 * Splits SSE text into whole frames and what is left over (a frame not yet ended by a blank
 * line). Comments (`:`) and unknown fields are skipped; CRLF, CR and LF all end a line.
 */
export function parseSse(text: string): { frames: SseFrame[]; rest: string } {
  const frames: SseFrame[] = [];
  const line = /([^\r\n]*)(\r\n|\r|\n)/y;
  let frameEnd = 0;
  let id: string | null = null;
  let event = '';
  let data: string[] = [];
  for (let m = line.exec(text); m; m = line.exec(text)) {
    // A "\r" at the very end may be half of a "\r\n": wait for the next chunk.
    if (m[2] === '\r' && line.lastIndex === text.length) break;
    const body = m[1] ?? '';
    if (body === '') {
      if (data.length) frames.push({ id, event: event || 'message', data: data.join('\n') });
      id = null;
      event = '';
      data = [];
      frameEnd = line.lastIndex;
      continue;
    }
    if (body.startsWith(':')) continue;
    const colon = body.indexOf(':');
    const field = colon < 0 ? body : body.slice(0, colon);
    let value = colon < 0 ? '' : body.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return { frames, rest: text.slice(frameEnd) };
}

export interface StreamOptions {
  token: () => Promise<string | null>;
  onEvent: (e: LiveEvent) => void;
  onState?: (s: LiveState) => void;
  lastEventId?: number;
  /** A 401 with this token: trade it for a new one (ApiClient.freshAccess); null means signed out. */
  refresh?: (stale: string) => Promise<string | null>;
  fetchFn?: FetchFn;
  base?: string;
  random?: () => number;
}

/** Opens the stream and keeps it open (reconnecting) until close(). */
export function openStream(opts: StreamOptions): { close(): void } {
  const fetchFn: FetchFn = opts.fetchFn ?? ((input, init) => fetch(input, init));
  const base = opts.base ?? '';
  let lastId: number | null = opts.lastEventId ?? null;
  let closed = false;
  let attempt = 0;
  let controller: AbortController | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let silenceTimer: ReturnType<typeof setTimeout> | null = null;
  let receiptTimer: ReturnType<typeof setTimeout> | null = null;
  let receipts: number[] = [];
  let state: LiveState | null = null;

  const setState = (s: LiveState): void => {
    if (s === state) return;
    state = s;
    opts.onState?.(s);
  };

  const armSilence = (): void => {
    if (silenceTimer) clearTimeout(silenceTimer);
    silenceTimer = setTimeout(() => controller?.abort(), STREAM_SILENCE_MS);
  };

  const flushReceipts = async (): Promise<void> => {
    receiptTimer = null;
    if (!receipts.length) return;
    const batch = receipts.slice(0, RECEIPT_MAX_IDS);
    receipts = receipts.slice(batch.length);
    const token = await opts.token().catch(() => null);
    let ok = false;
    if (token) {
      try {
        const res = await fetchFn(`${base}${API}/stream/receipts`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${token}` },
          body: JSON.stringify({ event_ids: batch }),
          credentials: 'same-origin',
          cache: 'no-store',
        });
        ok = res.ok;
      } catch {
        ok = false;
      }
    }
    // Unsent receipts go out with the next batch (the server records each once).
    if (!ok && !closed) receipts = batch.concat(receipts);
    if (receipts.length && !closed && ok) scheduleReceipts();
  };

  const scheduleReceipts = (): void => {
    if (receiptTimer || closed) return;
    receiptTimer = setTimeout(() => void flushReceipts(), RECEIPT_BATCH_MS);
  };

  const handle = (frame: SseFrame): void => {
    if (frame.event === 'ready') {
      // A first connection starts from now, not from the beginning of what the server keeps.
      if (lastId === null) {
        const ready = safeJson(frame.data);
        if (typeof ready.last_event_id === 'number') lastId = ready.last_event_id;
      }
      return;
    }
    if (frame.event === 'reset') {
      lastId = null;
      opts.onEvent({ id: 0, type: 'reset', data: safeJson(frame.data) });
      return;
    }
    const id = frame.id === null ? NaN : Number(frame.id);
    if (!Number.isFinite(id)) return;
    if (lastId !== null && id <= lastId) return;
    lastId = id;
    opts.onEvent({ id, type: frame.event, data: safeJson(frame.data) });
    if (RECEIPT_TYPES.test(frame.event)) {
      receipts.push(id);
      if (receipts.length >= RECEIPT_MAX_IDS) void flushReceipts();
      else scheduleReceipts();
    }
  };

  const retryLater = (): void => {
    if (closed) return;
    setState('closed');
    retryTimer = setTimeout(() => void connect(), backoffDelay(attempt++, opts.random));
  };

  const connect = async (refreshed: string | null = null): Promise<void> => {
    retryTimer = null;
    if (closed) return;
    setState('connecting');
    let token = refreshed ?? (await opts.token().catch(() => null));
    if (!token) return retryLater();
    controller = new AbortController();
    const headers: Record<string, string> = { Accept: 'text/event-stream', Authorization: `Bearer ${token}` };
    if (lastId !== null) headers['Last-Event-ID'] = String(lastId);
    let res: Response;
    try {
      armSilence();
      res = await fetchFn(`${base}${API}/stream`, { headers, signal: controller.signal, credentials: 'same-origin', cache: 'no-store' });
    } catch {
      return retryLater();
    }
    if (res.status === 401 && !refreshed && opts.refresh) {
      token = await opts.refresh(token).catch(() => null);
      if (token) return connect(token);
    }
    if (!res.ok || !res.body) return retryLater();
    setState('open');
    attempt = 0;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || closed) break;
        armSilence();
        const parsed = parseSse(buffer + decoder.decode(value, { stream: true }));
        buffer = parsed.rest;
        for (const frame of parsed.frames) handle(frame);
      }
    } catch {
      // Cut off, aborted for silence, or closed: reconnect below unless closed.
    }
    if (silenceTimer) clearTimeout(silenceTimer);
    retryLater();
  };

  void connect();
  return {
    close(): void {
      if (closed) return;
      void flushReceipts();
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      if (silenceTimer) clearTimeout(silenceTimer);
      if (receiptTimer) clearTimeout(receiptTimer);
      controller?.abort();
      setState('closed');
    },
  };
}

function safeJson(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
