import { beforeEach, describe, expect, it } from 'vitest';
import { crew, lock, onWiped, sessionApi, setFetch, setPin, signIn, SignInFailed, signOut, unlock, wipe, type WipeNotice } from '../src/app/auth';
import { FREE_UNLOCK_TRIES, MAX_UNLOCK_FAILURES, unlockWaitMs } from '../src/app/unlockGuard';
import { wrapDataKey } from '../src/crypto/keys';
import { getSession } from '../src/crypto/session';
import { db, getMeta, recordStatus, setMeta, type EnrolledKey } from '../src/db';
import { pullAll, PULL_LIMIT } from '../src/sync/engine';
import { fakeFetch, freshDb, type Req } from './helpers';

const user = (id: number, username: string) => ({ id, username, full_name: username.toUpperCase(), role: 'responder_clinician', unit_id: 3 });
const passwords: Record<string, string> = { ana: 'ana-pass', ben: 'ben-pass' };
const enrolledKeys = async () => (await getMeta<EnrolledKey[]>('keys')) ?? [];

function server(extra?: (r: Req) => [number, unknown] | null) {
  return fakeFetch((r) => {
    const hit = extra?.(r);
    if (hit) return hit;
    if (r.path === '/api/v1/auth/login') {
      const b = r.body as { username: string; password: string; device_id?: string };
      if (passwords[b.username] !== b.password) return [401, { message: 'bad', action: 'login' }];
      return [200, { access_token: `A-${b.username}`, refresh_token: 'R', access_expires_in: 900, device_id: b.device_id ?? 'dev-1', user: user(b.username === 'ana' ? 1 : 2, b.username) }];
    }
    return [404, {}];
  });
}

beforeEach(() => {
  lock();
  freshDb();
});

describe('sign in, unlock, sign out', () => {
  it('registers the device the first time and sends its id afterwards', async () => {
    const { fetch, requests } = server();
    setFetch(fetch);
    const logins = () => requests.filter((r) => r.path === '/api/v1/auth/login');
    await signIn('ana', 'ana-pass');
    expect((logins()[0]!.body as Record<string, unknown>).device_id).toBeUndefined();
    expect(await getMeta('device_id')).toBe('dev-1');
    await signIn('ben', 'ben-pass'); // added while Ana's session is open
    expect((logins()[1]!.body as Record<string, unknown>).device_id).toBe('dev-1');
    expect((await crew()).map((u) => u.username).sort()).toEqual(['ana', 'ben']);
  });

  it('each crew member unlocks offline with their own password; a wrong one fails', async () => {
    const { fetch } = server();
    setFetch(fetch);
    await signIn('ana', 'ana-pass');
    await signIn('ben', 'ben-pass');
    const key1 = getSession()!.dataKey;
    lock();
    expect(getSession()).toBeNull();
    setFetch(() => Promise.reject(new TypeError('offline')));
    expect(await unlock('ana', 'ben-pass')).toEqual({ kind: 'wrong', triesLeft: MAX_UNLOCK_FAILURES - 1 });
    expect(await unlock('ana', 'ana-pass')).toEqual({ kind: 'ok' });
    expect(getSession()!.user.username).toBe('ana');
    lock();
    expect(await unlock('ben', 'ben-pass')).toEqual({ kind: 'ok' });
    // the same data key for both
    const raw = await crypto.subtle.exportKey('raw', getSession()!.dataKey);
    expect(new Uint8Array(raw)).toEqual(new Uint8Array(await crypto.subtle.exportKey('raw', key1)));
  });

  it('a PIN set after sign-in unlocks too', async () => {
    setFetch(server().fetch);
    await signIn('ana', 'ana-pass');
    await setPin('135791');
    lock();
    expect((await unlock('ana', '135790')).kind).toBe('wrong');
    expect((await unlock('ana', '135791')).kind).toBe('ok');
    await expect(setPin('1234')).rejects.toThrow();
  });

  it('wrong unlocks wait longer and longer, and after ten the member must sign in online again', async () => {
    setFetch(server().fetch);
    await signIn('ana', 'ana-pass');
    await signIn('ben', 'ben-pass');
    lock();
    let now = 1_000_000;
    const clock = () => now;
    const results: string[] = [];
    for (let i = 0; i < MAX_UNLOCK_FAILURES; i++) {
      const r = await unlock('ana', `guess-${i}`, clock);
      results.push(r.kind);
      // Right away, the next try must wait once past the free tries, even with the right password.
      if (i + 1 >= FREE_UNLOCK_TRIES && i + 1 < MAX_UNLOCK_FAILURES) {
        expect(await unlock('ana', 'ana-pass', clock)).toEqual({ kind: 'wait', seconds: Math.ceil(unlockWaitMs(i + 1) / 1000) });
      }
      now += unlockWaitMs(i + 1);
    }
    expect(results).toEqual([...Array(MAX_UNLOCK_FAILURES - 1).fill('wrong'), 'erased']);
    expect((await unlock('ana', 'ana-pass', clock)).kind).toBe('wrong');
    expect((await unlock('ben', 'ben-pass', clock)).kind).toBe('ok');
    expect((await crew()).map((u) => u.username)).toEqual(['ben']);
    // Eleven Argon2id derivations at full cost: seconds on a loaded machine.
  }, 60_000);

  it('a key wrapped with PBKDF2 by an earlier app version opens and is rewrapped with Argon2id', async () => {
    setFetch(server().fetch);
    await signIn('ana', 'ana-pass');
    const dataKey = getSession()!.dataKey;
    const [k] = await enrolledKeys();
    await setMeta('keys', [{ ...k!, ...(await wrapDataKey(dataKey, 'ana-pass', { kdf: 'pbkdf2', iterations: 1000 })), kdf: undefined }]);
    lock();
    expect((await unlock('ana', 'ana-pass')).kind).toBe('ok');
    expect((await enrolledKeys())[0]).toMatchObject({ kdf: 'argon2id' });
  });

  it('sign-in online fails in words: offline, bad password', async () => {
    setFetch(() => Promise.reject(new TypeError('Failed to fetch')));
    await expect(signIn('ana', 'ana-pass')).rejects.toMatchObject({ reason: { kind: 'offline' } });
    setFetch(server().fetch);
    const err = await signIn('ana', 'nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignInFailed);
    expect((err as SignInFailed).reason.kind).toBe('bad');
  });

  it('sign-out is refused while ops are unsent, with the count', async () => {
    setFetch(server().fetch);
    await signIn('ana', 'ana-pass');
    await recordStatus(getSession()!.dataKey, 7, 'on_scene');
    await recordStatus(getSession()!.dataKey, 7, 'cleared');
    expect(await signOut()).toBe(2);
    expect(getSession()).not.toBeNull();
    await db().outbox.clear();
    expect(await signOut()).toBe(0);
    expect(getSession()).toBeNull();
    expect(await enrolledKeys()).toEqual([]);
  });

  it('a tablet revoked as lost is wiped when it signs in, and says how many entries were not sent', async () => {
    setFetch(server().fetch);
    await signIn('ana', 'ana-pass');
    await recordStatus(getSession()!.dataKey, 7, 'on_scene');
    await recordStatus(getSession()!.dataKey, 7, 'cleared');
    lock();
    const told: WipeNotice[] = [];
    const off = onWiped((n) => told.push(n));
    setFetch(server((r) => (r.path === '/api/v1/auth/login' ? [401, { message: 'revoked', action: 'wipe' }] : null)).fetch);
    await expect(signIn('ana', 'ana-pass')).rejects.toMatchObject({ reason: { kind: 'wiped' } });
    off();
    expect(told).toEqual([{ revocation: 'lost', unsent: 2 }]);
    expect(await db().outbox.count()).toBe(0);
    expect(await enrolledKeys()).toEqual([]);
    expect(await getMeta('device_id')).toBeUndefined();
  });

  it("a fresh tablet's first pull page is asked for at sign-in, and the first pull takes it instead of asking again", async () => {
    const page = { changes: [], cursor: 'c1', has_more: false, total: 0, server_time: '2026-11-25T01:00:00Z' };
    const { fetch, requests } = server((r) => (r.path.startsWith('/api/v1/sync/pull') ? [200, page] : null));
    setFetch(fetch);
    await signIn('ana', 'ana-pass');
    const pulls = () => requests.filter((r) => r.path.startsWith('/api/v1/sync/pull'));
    expect(pulls().map((r) => [r.path, r.auth])).toEqual([[`/api/v1/sync/pull?limit=${PULL_LIMIT}`, 'Bearer A-ana']]);
    await pullAll({ api: sessionApi()!, key: getSession()!.dataKey });
    expect(pulls()).toHaveLength(1);
    expect(await getMeta('cursor')).toBe('c1');
    // With a cursor saved, the next sign-in asks for nothing ahead.
    lock();
    await signIn('ana', 'ana-pass');
    expect(pulls()).toHaveLength(1);
  });

  it('a new tablet is registered under the name given; left empty, the server names it', async () => {
    const { fetch, requests } = server();
    setFetch(fetch);
    const logins = () => requests.filter((r) => r.path === '/api/v1/auth/login');
    await signIn('ana', 'ana-pass', '  Van 3 tablet ');
    expect((logins()[0]!.body as Record<string, unknown>).device_name).toBe('Van 3 tablet');
    freshDb();
    lock();
    await signIn('ana', 'ana-pass', '   ');
    expect(logins()[1]!.body).not.toHaveProperty('device_name');
    await signIn('ben', 'ben-pass', 'Not sent: already registered');
    expect(logins()[2]!.body).not.toHaveProperty('device_name');
    expect((logins()[2]!.body as Record<string, unknown>).device_id).toBe('dev-1');
  });

  it('a retired tablet refuses a new sign-in while a crew member on it can still send what it holds', async () => {
    setFetch(server().fetch);
    await signIn('ana', 'ana-pass');
    await recordStatus(getSession()!.dataKey, 7, 'on_scene');
    lock();
    const told: WipeNotice[] = [];
    const off = onWiped((n) => told.push(n));
    setFetch(server((r) => (r.path === '/api/v1/auth/login' ? [401, { message: 'retired', action: 'retire' }] : null)).fetch);
    await expect(signIn('ben', 'ben-pass')).rejects.toMatchObject({ reason: { kind: 'retired' } });
    off();
    expect(told).toEqual([]);
    expect(await db().outbox.count()).toBe(1);
    expect(await unlock('ana', 'ana-pass')).toEqual({ kind: 'ok' });
  });

  it('a retired tablet nobody is enrolled on is wiped as retired at sign-in', async () => {
    await setMeta('device_id', 'dev-1');
    const told: WipeNotice[] = [];
    const off = onWiped((n) => told.push(n));
    setFetch(server((r) => (r.path === '/api/v1/auth/login' ? [401, { message: 'retired', action: 'retire' }] : null)).fetch);
    await expect(signIn('ana', 'ana-pass')).rejects.toMatchObject({ reason: { kind: 'wiped' } });
    off();
    expect(told).toEqual([{ revocation: 'retired', unsent: 0 }]);
    expect(await getMeta('device_id')).toBeUndefined();
  });

  it('a retired tablet that sent everything signs out on the server before it wipes', async () => {
    const { fetch, requests } = server((r) => (r.path === '/api/v1/auth/logout' ? [204, null] : null));
    setFetch(fetch);
    await signIn('ana', 'ana-pass');
    const told: WipeNotice[] = [];
    const off = onWiped((n) => told.push(n));
    await wipe('retired');
    off();
    // The fresh tablet's first pull page was asked for at sign-in.
    expect(requests.map((r) => r.path).filter((p) => !p.startsWith('/api/v1/sync/pull'))).toEqual(['/api/v1/auth/login', '/api/v1/auth/logout']);
    expect(told).toEqual([{ revocation: 'retired', unsent: 0 }]);
    expect(getSession()).toBeNull();
    expect(await enrolledKeys()).toEqual([]);
  });

  it('sign-out tells the server, so the sign-in\'s tokens are refused afterwards', async () => {
    const { fetch, requests } = server((r) => (r.path === '/api/v1/auth/logout' ? [204, null] : null));
    setFetch(fetch);
    await signIn('ana', 'ana-pass');
    expect(await signOut()).toBe(0);
    const logout = requests.find((r) => r.path === '/api/v1/auth/logout');
    expect(logout?.method).toBe('POST');
    expect(logout?.auth).toBe('Bearer A-ana');
    expect(getSession()).toBeNull();
  });

  it('sign-out offline still forgets the tokens on the tablet', async () => {
    setFetch(server().fetch);
    await signIn('ana', 'ana-pass');
    setFetch(() => Promise.reject(new TypeError('Failed to fetch')));
    expect(await signOut()).toBe(0);
    expect(await getMeta('tokens:1')).toBeUndefined();
  });

  it('a tablet another unit holds refuses the sign-in in words', async () => {
    setFetch(server((r) => (r.path === '/api/v1/auth/login' ? [403, { code: 403, message: 'HEART-1 holds this tablet' }] : null)).fetch);
    await expect(signIn('ana', 'ana-pass')).rejects.toMatchObject({ reason: { kind: 'otherUnit' } });
    expect(getSession()).toBeNull();
  });

  it('a rotated refresh token is kept sealed and is the one sent after the next unlock', async () => {
    let n = 1;
    const { fetch, requests } = server((r) => {
      if (r.path === '/api/v1/auth/refresh') {
        n += 1;
        // A '.' is in no base64 alphabet: the token can show in the sealed text only in clear.
        return [200, { access_token: `A${n}`, refresh_token: `R.${n}`, access_expires_in: 900 }];
      }
      if (r.path.startsWith('/api/v1/sync/pull')) {
        return r.auth === `Bearer A${n}` && n > 2 ? [200, { changes: [], cursor: 'c', has_more: false, total: 0, server_time: 't' }] : [401, { message: 'expired', action: 'refresh' }];
      }
      return null;
    });
    setFetch(fetch);
    await signIn('ana', 'ana-pass');
    await sessionApi()!.pull(null, 10).catch(() => undefined); // A-ana expired: refreshed to A2/R.2
    const sealed = await getMeta<string>('tokens:1');
    expect(sealed).not.toContain('R.2');
    lock();
    expect(await unlock('ana', 'ana-pass')).toEqual({ kind: 'ok' });
    await sessionApi()!.pull(null, 10);
    expect(requests.filter((r) => r.path === '/api/v1/auth/refresh').map((r) => r.auth)).toEqual(['Bearer R', 'Bearer R.2']);
  });

  it('tokens are stored sealed, never in clear', async () => {
    setFetch(server().fetch);
    await signIn('ana', 'ana-pass');
    const stored = await getMeta<string>('tokens:1');
    expect(stored).toMatch(/^enc1:/);
    expect(stored).not.toContain('A-ana');
  });

  it('the enrolled crew is stored without a name: unlock asks for the user name, and a name not enrolled is just wrong', async () => {
    setFetch(server().fetch);
    await signIn('ana', 'ana-pass');
    await signIn('ben', 'ben-pass');
    lock();
    const raw = JSON.stringify(await db().meta.toArray());
    for (const name of ['ana', 'ANA', 'ben', 'BEN']) expect(raw).not.toContain(`"${name}"`);
    expect(await crew()).toEqual([]); // locked: nothing to show
    expect(await unlock('carla', 'ana-pass')).toEqual({ kind: 'wrong', triesLeft: MAX_UNLOCK_FAILURES - 1 });
    expect(await unlock(' Ana ', 'ana-pass')).toEqual({ kind: 'ok' });
    expect(getSession()!.user.full_name).toBe('ANA');
    expect((await crew()).map((u) => u.username).sort()).toEqual(['ana', 'ben']);
  });

  it('crew entries an earlier version stored with names in clear unlock, and are sealed at that unlock', async () => {
    setFetch(server().fetch);
    await signIn('ana', 'ana-pass');
    const dataKey = getSession()!.dataKey;
    lock();
    await setMeta('keys', [{ ...(await wrapDataKey(dataKey, 'ana-pass')), user: user(1, 'ana'), secret: 'password' }]);
    expect(await unlock('ana', 'ana-pass')).toEqual({ kind: 'ok' });
    expect(getSession()!.user.username).toBe('ana');
    expect(JSON.stringify(await enrolledKeys())).not.toContain('ANA');
    lock();
    expect(await unlock('ana', 'ana-pass')).toEqual({ kind: 'ok' });
  });
});
