/**
 * HTTP client for /api/v1, with fetch injected (tests pass a fake server). It translates HTTP
 * into typed errors; it never decides what to do about them (the sync engine does).
 */
import type {
  ErrorBody,
  FieldSettings,
  LoginRequest,
  LoginResponse,
  PullResponse,
  PushRequest,
  PushResponse,
  RefreshResponse,
  ResolveRequest,
} from './types';

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * No answer, or not a whole one: offline, DNS, server down, a body cut off after its headers,
 * a 2xx whose body is not the JSON answer. The request may have been applied: sending it
 * again is safe (the server deduplicates ops by id), so it is retried like no signal.
 */
export class NetworkError extends Error {
  override name = 'NetworkError';
}

/** A 401: `action` says what to do (refresh, login, wipe, retire). */
export class AuthError extends Error {
  override name = 'AuthError';
  constructor(public action: string) {
    super(`auth: ${action}`);
  }
}

/** 410 with action `resync` on pull (a cursor the server cannot read included): drop the cursor and pull from scratch. */
export class ResyncError extends Error {
  override name = 'ResyncError';
}

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    public status: number,
    public body: ErrorBody | null,
    public retryAfterS: number | null = null,
  ) {
    super(body?.message ?? `HTTP ${status}`);
  }
}

export interface Tokens {
  access: string;
  refresh: string;
}

export interface TokenStore {
  get(): Tokens | null;
  /**
   * Keeps the tokens a refresh returned (persisted, sealed, by the caller). The refresh token
   * rotates on every use: the one sent is used up, so losing the new one means signing in again.
   */
  set(tokens: Tokens): Promise<void>;
}

export const API = '/api/v1';
/**
 * What a call takes back: the sync and sign-in answers are JSON objects (anything else means the answer was cut
 * or is not the API's); a desk screen's REST answer may be a JSON list; a download is any body of its type.
 */
type Want = { accept: string; body: 'object' | 'json' | 'blob' };
const OBJECT: Want = { accept: 'application/json', body: 'object' };
const JSON_ANY: Want = { accept: 'application/json', body: 'json' };
/** The one success without a body (sign-out). */
const NO_CONTENT = 204;

/** The JSON object a body holds, or null (empty, cut short, an HTML page, not an object). */
function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Refreshes in flight, by the refresh token they send: concurrent requests that all found their
 * access token expired share one refresh, so two answers cannot race to store different tokens
 * (the server would take the loser's next refresh for a stolen copy and end the sign-in).
 */
const refreshing = new Map<string, Promise<RefreshResponse>>();

export class ApiClient {
  constructor(
    private fetchFn: FetchFn,
    private tokens: TokenStore | null = null,
    private base = '',
  ) {}

  async login(body: LoginRequest): Promise<LoginResponse> {
    return this.request<LoginResponse>('POST', '/auth/login', body, null);
  }

  async push(body: PushRequest): Promise<PushResponse> {
    return this.authed<PushResponse>('POST', '/sync/push', body);
  }

  async pull(cursor: string | null, limit: number): Promise<PullResponse> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor) q.set('cursor', cursor);
    return this.authed<PullResponse>('GET', `/sync/pull?${q}`, undefined);
  }

  /** One pull page with this access token, never refreshed: an expired token fails (AuthError). */
  async pullWith(access: string, cursor: string | null, limit: number): Promise<PullResponse> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor) q.set('cursor', cursor);
    return this.request<PullResponse>('GET', `/sync/pull?${q}`, undefined, access);
  }

  async resolveConflict(id: string, body: ResolveRequest): Promise<unknown> {
    return this.authed('POST', `/sync/conflicts/${encodeURIComponent(id)}/resolve`, body);
  }

  /** How the tablet records its position on duty. */
  async fieldSettings(): Promise<FieldSettings> {
    return this.authed<FieldSettings>('GET', '/settings/field', undefined);
  }

  /** The server's Web Push key (a 404 when web push is off there). */
  async pushKey(): Promise<{ public_key: string }> {
    return this.authed<{ public_key: string }>('GET', '/push/key', undefined);
  }

  /** This device's Web Push subscription, for the person signed in on it. */
  async savePushSubscription(subscription: PushSubscriptionJSON): Promise<void> {
    await this.authed<unknown>('PUT', '/push/subscription', subscription);
  }

  /** This device takes no more pushes. */
  async removePushSubscription(): Promise<void> {
    await this.authed<unknown>('DELETE', '/push/subscription', undefined);
  }

  /** Sign-out on the server: ends this sign-in, so its tokens are refused from then on. */
  async logout(): Promise<void> {
    await this.authed<unknown>('POST', '/auth/logout', undefined);
  }

  /** An online REST call of a desk screen (supplies...), signed in, JSON both ways. */
  async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.authed<T>(method, path, body, JSON_ANY);
  }

  /** A signed-in download (a CSV report): the body as a Blob, so the screen can save it as a file. */
  async download(path: string, accept: string): Promise<Blob> {
    return this.authed<Blob>('GET', path, undefined, { accept, body: 'blob' });
  }

  /** The access token to hold a long request (the live stream) with; null when signed out. */
  accessToken(): string | null {
    return this.tokens?.get()?.access ?? null;
  }

  /**
   * After a 401 with `stale`: the access token to try next. Another request may have refreshed
   * already (its token differs); otherwise this refreshes, shared as every refresh is.
   */
  async freshAccess(stale: string): Promise<string | null> {
    const t = this.tokens?.get();
    if (!t) return null;
    if (t.access !== stale) return t.access;
    try {
      return (await this.refresh(t.refresh)).access_token;
    } catch (e) {
      if (e instanceof AuthError) return null;
      throw e;
    }
  }

  /** Sends with the access token; on 401 "refresh", refreshes once and retries. */
  private async authed<T>(method: string, path: string, body: unknown, want = OBJECT): Promise<T> {
    const t = this.tokens?.get();
    if (!t) throw new AuthError('login');
    try {
      return await this.request<T>(method, path, body, t.access, want);
    } catch (e) {
      if (!(e instanceof AuthError) || e.action !== 'refresh') throw e;
    }
    const r = await this.refresh(t.refresh);
    return this.request<T>(method, path, body, r.access_token, want);
  }

  /** Trades the refresh token for new tokens and stores both (one request per token at a time). */
  private refresh(token: string): Promise<RefreshResponse> {
    let pending = refreshing.get(token);
    if (!pending) {
      pending = this.request<RefreshResponse>('POST', '/auth/refresh', undefined, token)
        .catch((e: unknown) => {
          // A refresh token that is refused as "refresh" is as good as expired: sign in again.
          if (e instanceof AuthError && e.action === 'refresh') throw new AuthError('login');
          throw e;
        })
        .then(async (r) => {
          await this.tokens!.set({ access: r.access_token, refresh: r.refresh_token });
          return r;
        })
        .finally(() => refreshing.delete(token));
      refreshing.set(token, pending);
    }
    return pending;
  }

  private async request<T>(method: string, path: string, body: unknown, bearer: string | null, want = OBJECT): Promise<T> {
    const headers: Record<string, string> = { Accept: want.accept };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    let res: Response;
    try {
      res = await this.fetchFn(`${this.base}${API}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch (e) {
      throw new NetworkError(e instanceof Error ? e.message : String(e));
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw new NetworkError(`answer cut off: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (res.status === NO_CONTENT) return undefined as T;
    if (res.ok && want.body === 'blob') return new Blob([text], { type: res.headers.get('Content-Type') ?? want.accept }) as T;
    if (res.ok && want.body === 'json' && text.trimStart().startsWith('[')) {
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new NetworkError(`HTTP ${res.status} without its JSON body`);
      }
    }
    const parsed = parseObject(text);
    if (res.ok) {
      if (parsed === null) throw new NetworkError(`HTTP ${res.status} without its JSON body`);
      return parsed as T;
    }
    const err = parsed as ErrorBody | null;
    if (res.status === 401) throw new AuthError(err?.action ?? 'login');
    if (res.status === 410 && err?.action === 'resync') throw new ResyncError(err.message ?? 'resync');
    const ra = res.headers.get('Retry-After');
    throw new HttpError(res.status, err, ra ? Number(ra) : null);
  }
}
