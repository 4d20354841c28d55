/**
 * Sign-in (online, registers the tablet), unlock (offline, per crew member), lock, sign-out, wipe.
 * The data key lives only in the in-memory session; tokens are sealed under it in meta.
 */
import { ApiClient, AuthError, HttpError, NetworkError, type FetchFn, type Tokens } from '../api/client';
import type { Revocation, SessionUser } from '../api/types';
import { needsRewrap, newDataKey, open, seal, unwrapDataKey, wrapDataKey } from '../crypto/keys';
import { getSession, setSession } from '../crypto/session';
import {
  clearRecordsAndCursor,
  crewMembers,
  crewTag,
  db,
  forgetAllEnrolled,
  forgetEnrolled,
  getMeta,
  hasCrew,
  hasSecret,
  keysForUser,
  keysForUsername,
  putEnrolledKey,
  setMeta,
  unlockStore,
  unsentCount,
  wipeDatabase,
} from '../db';
import { milestone } from '../lib/milestones';
import { primeFirstPull, PULL_LIMIT } from '../sync/engine';
import { isField } from './areas';
import { getSettings } from './settings';
import { clearUnlockFailures, MAX_UNLOCK_FAILURES, recordUnlockFailure, waitBeforeUnlock } from './unlockGuard';
import { subscribeToPush } from '../lib/push';

/** A PIN shorter than this is refused: PBKDF2 slows guessing but cannot save a 4-digit PIN. */
export const MIN_PIN_LENGTH = 6;

let tokens: Tokens | null = null;
let fetchFn: FetchFn = (input, init) => fetch(input, init);

export function setFetch(f: FetchFn): void {
  fetchFn = f;
}

/** The API client for the unlocked session (null while locked). */
export function sessionApi(): ApiClient | null {
  const s = getSession();
  if (!s || !tokens) return null;
  return new ApiClient(fetchFn, {
    get: () => tokens,
    set: async (next) => {
      tokens = next;
      await setMeta(`tokens:${s.user.id}`, await seal(s.dataKey, next));
    },
  });
}

export type SignInError =
  | { kind: 'offline' }
  | { kind: 'bad' }
  | { kind: 'throttled'; seconds: number }
  | { kind: 'failed' }
  | { kind: 'locked'; count: number }
  | { kind: 'otherUnit' }
  /** Revoked: the tablet was wiped (the notice says why). */
  | { kind: 'wiped' }
  /** Retired while crew members are enrolled: one of them unlocks it to send what it holds. */
  | { kind: 'retired' };

export class SignInFailed extends Error {
  constructor(public reason: SignInError) {
    super(reason.kind);
  }
}

/** Whether this tablet is registered (signed in online once): a new one is named at its first sign-in. */
export async function isRegistered(): Promise<boolean> {
  return Boolean(await getMeta<string>('device_id'));
}

/**
 * Online sign-in. A tablet not yet registered is registered under `deviceName` ("Van 3 tablet");
 * without one the server names it after the browser and system.
 */
export async function signIn(username: string, password: string, deviceName = ''): Promise<SessionUser> {
  const deviceId = await getMeta<string>('device_id');
  const name = deviceName.trim();
  let res;
  try {
    res = await new ApiClient(fetchFn).login({
      username,
      password,
      ...(deviceId ? { device_id: deviceId } : name ? { device_name: name } : {}),
    });
  } catch (e) {
    if (e instanceof NetworkError) throw new SignInFailed({ kind: 'offline' });
    if (e instanceof AuthError && e.action === 'wipe') {
      await wipe('lost');
      throw new SignInFailed({ kind: 'wiped' });
    }
    if (e instanceof AuthError && e.action === 'retire') {
      // Someone enrolled can still unlock and send what the tablet holds; nobody: nothing to send.
      if (await hasCrew()) throw new SignInFailed({ kind: 'retired' });
      await wipe('retired');
      throw new SignInFailed({ kind: 'wiped' });
    }
    if (e instanceof AuthError) throw new SignInFailed({ kind: 'bad' });
    if (e instanceof HttpError && e.status === 429) throw new SignInFailed({ kind: 'throttled', seconds: e.retryAfterS ?? 60 });
    if (e instanceof HttpError && e.status === 403) throw new SignInFailed({ kind: 'otherUnit' });
    if (e instanceof HttpError && e.status < 500) throw new SignInFailed({ kind: 'bad' });
    throw new SignInFailed({ kind: 'failed' });
  }
  await setMeta('device_id', res.device_id);
  // A tablet with nothing pulled yet asks for its first page now, while the key work below runs
  // (with the new access token only: a refresh here would rotate tokens not yet sealed).
  if (isField(res.user.role) && ((await getMeta<string>('cursor')) ?? null) === null) {
    primeFirstPull(new ApiClient(fetchFn).pullWith(res.access_token, null, PULL_LIMIT));
  }
  try {
    const dataKey = await dataKeyForSignIn(res.user, password);
    await putEnrolledKey(dataKey, res.user, await wrapDataKey(dataKey, password), 'password');
    tokens = { access: res.access_token, refresh: res.refresh_token };
    await setMeta(`tokens:${res.user.id}`, await seal(dataKey, tokens));
    await unlockStore(dataKey);
    setSession({ user: res.user, dataKey });
    if (getSettings().alerts) void subscribeToPush(sessionApi());
  } catch (e) {
    primeFirstPull(null);
    throw e;
  }
  return res.user;
}

/**
 * The data key for someone who just signed in online: the unlocked session's, or theirs unwrapped
 * with this password, or a new one when nobody is enrolled. When others are enrolled but nobody
 * can open the key, start afresh only if nothing is unsent (the server holds everything else).
 */
async function dataKeyForSignIn(user: SessionUser, password: string): Promise<CryptoKey> {
  const current = getSession();
  if (current) return current.dataKey;
  for (const k of await keysForUser(String(user.id))) {
    const key = await unwrapDataKey(k.wrapped, password);
    if (key) return key;
  }
  if (await hasCrew()) {
    const count = await unsentCount();
    if (count > 0) throw new SignInFailed({ kind: 'locked', count });
    await clearRecordsAndCursor();
    await forgetAllEnrolled();
  }
  return newDataKey();
}

export type UnlockResult =
  | { kind: 'ok' }
  | { kind: 'wrong'; triesLeft: number }
  | { kind: 'wait'; seconds: number }
  /** Too many wrong tries: this member's key is gone; they sign in online again. */
  | { kind: 'erased' };

/**
 * Offline unlock with the member's user name and password or PIN (the tablet shows no names: a
 * finder learns nobody's). Wrong tries make the next one wait longer; after MAX_UNLOCK_FAILURES
 * the member's key is deleted. A name not enrolled here is answered the same way, its tries
 * counted under its hash. A key wrapped with weaker settings by an earlier app version is
 * rewrapped with this version's.
 */
export async function unlock(username: string, secret: string, now: () => number = Date.now): Promise<UnlockResult> {
  milestone('unlock:start');
  const mine = await keysForUsername(username);
  const who = mine[0]?.userId ?? `name:${await crewTag(username)}`;
  const wait = await waitBeforeUnlock(who, now());
  if (wait > 0) return { kind: 'wait', seconds: Math.ceil(wait / 1000) };
  for (const k of mine) {
    const dataKey = await unwrapDataKey(k.wrapped, secret);
    if (!dataKey) continue;
    milestone('unlock:key');
    await clearUnlockFailures(who);
    const user = await k.user(dataKey);
    if (needsRewrap(k.wrapped)) await putEnrolledKey(dataKey, user, await wrapDataKey(dataKey, secret), k.secret);
    const sealedTokens = await getMeta<string>(`tokens:${who}`);
    tokens = sealedTokens ? await open<Tokens>(dataKey, sealedTokens) : null;
    await unlockStore(dataKey);
    milestone('unlock:store');
    setSession({ user, dataKey });
    milestone('unlock:session');
    return { kind: 'ok' };
  }
  const count = await recordUnlockFailure(who, now());
  if (count < MAX_UNLOCK_FAILURES) return { kind: 'wrong', triesLeft: MAX_UNLOCK_FAILURES - count };
  if (mine.length) await forgetMember(who);
  await clearUnlockFailures(who);
  return { kind: 'erased' };
}

/** The member's wrapped keys and sealed tokens go; the tablet's records and queued work stay. */
async function forgetMember(userId: string): Promise<void> {
  await forgetEnrolled(userId);
  await db().meta.delete(`tokens:${userId}`);
}

export function lock(): void {
  tokens = null;
  setSession(null);
}

export async function setPin(pin: string): Promise<void> {
  const s = getSession();
  if (!s) throw new Error('locked');
  if (!/^\d+$/.test(pin) || pin.length < MIN_PIN_LENGTH) throw new Error('short');
  await putEnrolledKey(s.dataKey, s.user, await wrapDataKey(s.dataKey, pin), 'pin');
}

/** Whether this crew member has set a PIN on this tablet. */
export async function hasPin(userId: string): Promise<boolean> {
  return hasSecret(userId, 'pin');
}

/** Enrolled members, one entry each, for Settings (their names are sealed: none while locked). */
export async function crew(): Promise<SessionUser[]> {
  const s = getSession();
  return s ? crewMembers(s.dataKey) : [];
}

/** How long sign-out waits for the server to end the sign-in before going on without it. */
export const SIGN_OUT_WAIT_MS = 5_000;

/**
 * Refused while anything is unsent: returns the count (0 = signed out). Tells the server when it
 * can (the sign-in's tokens are refused from then on); offline, the tokens are forgotten here.
 */
export async function signOut(): Promise<number> {
  const count = await unsentCount();
  if (count > 0) return count;
  const s = getSession();
  const api = sessionApi();
  if (api) {
    const told = api.logout().catch(() => undefined);
    await Promise.race([told, new Promise((done) => setTimeout(done, SIGN_OUT_WAIT_MS))]);
  }
  if (s) {
    await forgetMember(String(s.user.id));
    if (!(await hasCrew())) await clearRecordsAndCursor();
  }
  lock();
  return 0;
}

/** What the tablet says once wiped: why it was revoked, and how many entries it had not sent. */
export interface WipeNotice {
  revocation: Revocation;
  unsent: number;
}

const wipedListeners = new Set<(notice: WipeNotice) => void>();

export function onWiped(l: (notice: WipeNotice) => void): () => void {
  wipedListeners.add(l);
  return () => wipedListeners.delete(l);
}

/**
 * The device was revoked: count what was not sent, delete the database (keys, records, outbox),
 * and say why. A retired tablet first signs out, which ends every sign-in on it on the server:
 * nothing more is taken from it once its copy is gone.
 */
export async function wipe(revocation: Revocation): Promise<void> {
  const unsent = await unsentCount();
  const api = sessionApi();
  if (revocation === 'retired' && api) {
    const told = api.logout().catch(() => undefined);
    await Promise.race([told, new Promise((done) => setTimeout(done, SIGN_OUT_WAIT_MS))]);
  }
  lock();
  await wipeDatabase();
  for (const l of wipedListeners) l({ revocation, unsent });
}
