/** The unlocked session: the one place the data key lives, in memory only. */
import type { SessionUser } from '../api/types';

export interface Session {
  user: SessionUser;
  dataKey: CryptoKey;
}

let current: Session | null = null;
const listeners = new Set<() => void>();

export function getSession(): Session | null {
  return current;
}

export function requireKey(): CryptoKey {
  if (!current) throw new Error('locked');
  return current.dataKey;
}

export function setSession(s: Session | null): void {
  current = s;
  for (const l of listeners) l();
}

export function onSessionChange(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
