/**
 * Crew members enrolled on this tablet and their wrapped copies of the data key (meta "keys").
 * Nothing stored names them: an entry holds the member's id, a salted hash of their user name
 * (matched against the name typed at unlock) and their profile sealed under the data key.
 */
import type { SessionUser } from '../api/types';
import { fromB64, open, seal, toB64, type WrappedKey } from '../crypto/keys';
import { getMeta, setMeta } from './metaStore';

/** Bytes of the tablet's random salt for user-name hashes (so a hash list from one tablet fits no other). */
const SALT_BYTES = 16;

export interface EnrolledKey extends WrappedKey {
  userId: string;
  /** SHA-256 of the tablet's salt and the lower-cased user name. */
  tag: string;
  /** The member's SessionUser, sealed under the data key. */
  userSealed: string;
  /** 'password' is wrapped with the sign-in password; 'pin' with a PIN set afterwards. */
  secret: 'password' | 'pin';
}

/** An entry written by an app version before names were sealed; rewritten at the next unlock. */
interface LegacyEnrolledKey extends WrappedKey {
  user: SessionUser;
  secret: 'password' | 'pin';
}

type StoredKey = EnrolledKey | LegacyEnrolledKey;
const isLegacy = (k: StoredKey): k is LegacyEnrolledKey => 'user' in k;
const idOf = (k: StoredKey) => (isLegacy(k) ? String(k.user.id) : k.userId);

async function stored(): Promise<StoredKey[]> {
  return (await getMeta<StoredKey[]>('keys')) ?? [];
}

async function salt(): Promise<Uint8Array<ArrayBuffer>> {
  const have = await getMeta<string>('crew_salt');
  if (have) return fromB64(have);
  const fresh = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  await setMeta('crew_salt', toB64(fresh));
  return fresh;
}

/** The stored hash of a user name on this tablet. */
export async function crewTag(username: string): Promise<string> {
  const s = await salt();
  const name = new TextEncoder().encode(username.trim().toLowerCase());
  const bytes = new Uint8Array(s.length + name.length);
  bytes.set(s);
  bytes.set(name, s.length);
  return toB64(await crypto.subtle.digest('SHA-256', bytes));
}

/** A key entry as unlock uses it: the wrapped key, whose it is, and how to read their profile. */
export interface MemberKey {
  wrapped: WrappedKey;
  userId: string;
  secret: 'password' | 'pin';
  user: (dataKey: CryptoKey) => Promise<SessionUser>;
}

function memberKey(k: StoredKey): MemberKey {
  const { secret } = k;
  if (isLegacy(k)) {
    const { user, ...wrapped } = k;
    return { wrapped, userId: String(user.id), secret, user: async () => user };
  }
  const { userId, tag: _tag, userSealed, ...wrapped } = k;
  return { wrapped, userId, secret, user: (dataKey) => open<SessionUser>(dataKey, userSealed) };
}

/** Entries of the member with this user name (none for a name not enrolled here). */
export async function keysForUsername(username: string): Promise<MemberKey[]> {
  const tag = await crewTag(username);
  const name = username.trim().toLowerCase();
  return (await stored()).filter((k) => (isLegacy(k) ? k.user.username.toLowerCase() === name : k.tag === tag)).map(memberKey);
}

export async function keysForUser(userId: string): Promise<MemberKey[]> {
  return (await stored()).filter((k) => idOf(k) === userId).map(memberKey);
}

export async function hasCrew(): Promise<boolean> {
  return (await stored()).length > 0;
}

export async function hasSecret(userId: string, secret: 'password' | 'pin'): Promise<boolean> {
  return (await stored()).some((k) => idOf(k) === userId && k.secret === secret);
}

async function entry(dataKey: CryptoKey, user: SessionUser, wrapped: WrappedKey, secret: 'password' | 'pin'): Promise<EnrolledKey> {
  return { ...wrapped, userId: String(user.id), tag: await crewTag(user.username), userSealed: await seal(dataKey, user), secret };
}

/** Adds or replaces the member's key of that secret kind. */
export async function putEnrolledKey(dataKey: CryptoKey, user: SessionUser, wrapped: WrappedKey, secret: 'password' | 'pin'): Promise<void> {
  const next = await entry(dataKey, user, wrapped, secret);
  const keys = (await stored()).filter((k) => !(idOf(k) === next.userId && k.secret === secret));
  await setMeta('keys', [...keys, next]);
}

export async function forgetEnrolled(userId: string): Promise<void> {
  await setMeta('keys', (await stored()).filter((k) => idOf(k) !== userId));
}

export async function forgetAllEnrolled(): Promise<void> {
  await setMeta('keys', []);
}

/** Enrolled members, one entry each, read with the unlocked data key (entries it cannot open are left out). */
export async function crewMembers(dataKey: CryptoKey): Promise<SessionUser[]> {
  const seen = new Map<string, SessionUser>();
  for (const k of (await stored()).map(memberKey)) {
    if (seen.has(k.userId)) continue;
    const user = await k.user(dataKey).catch(() => null);
    if (user) seen.set(k.userId, user);
  }
  return [...seen.values()];
}

/** Entries written with names in clear by an earlier version, rewritten sealed (at unlock). */
export async function sealCrew(dataKey: CryptoKey): Promise<void> {
  const keys = await stored();
  if (!keys.some(isLegacy)) return;
  const next = await Promise.all(
    keys.map((k) => {
      if (!isLegacy(k)) return k;
      const { user, secret, ...wrapped } = k;
      return entry(dataKey, user, wrapped, secret);
    }),
  );
  await setMeta('keys', next);
}
