/** The unlocked session as state: a component re-renders whenever someone else unlocks, signs in or locks. */
import { useEffect, useState } from 'preact/hooks';
import { getSession, onSessionChange, type Session } from '../crypto/session';

export function useSession(): Session | null {
  const [session, setSession] = useState(getSession);
  useEffect(() => {
    setSession(getSession());
    return onSessionChange(() => setSession(getSession()));
  }, []);
  return session;
}
