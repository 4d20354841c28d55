/** Crew members enrolled on this tablet and their wrapped copies of the data key (meta "keys"). */
import type { SessionUser } from '../api/types';
import type { WrappedKey } from '../crypto/keys';
import { getMeta, setMeta } from './metaStore';

export interface EnrolledKey extends WrappedKey {
  user: SessionUser;
  /** 'password' is wrapped with the sign-in password; 'pin' with a PIN set afterwards. */
  secret: 'password' | 'pin';
}

export async function enrolledKeys(): Promise<EnrolledKey[]> {
  return (await getMeta<EnrolledKey[]>('keys')) ?? [];
}

/** Adds or replaces the member's key of that secret kind. */
export async function putEnrolledKey(k: EnrolledKey): Promise<void> {
  const keys = (await enrolledKeys()).filter((x) => !(String(x.user.id) === String(k.user.id) && x.secret === k.secret));
  keys.push(k);
  await setMeta('keys', keys);
}
