/**
 * The disposition list (GET /dispositions) as last heard, kept in the tablet's store (Dexie
 * meta) so a crew chooses from it offline. Read again on every sign-in and unlock.
 */
import { getMeta, setMeta, useLiveQuery } from '../db';
import { keptEntry, type DispositionEntry } from '../lib/dispositions';
import { sessionApi } from './auth';

const NONE: DispositionEntry[] = [];

export async function refreshDispositions(): Promise<void> {
  const api = sessionApi();
  if (!api) return;
  try {
    const list = await api.send<DispositionEntry[]>('GET', '/dispositions');
    await setMeta('dispositions', list.map(keptEntry));
  } catch {
    /* offline or signed out: keep the cached list */
  }
}

/** The cached list (empty before the first answer). */
export function useDispositions(): DispositionEntry[] {
  return useLiveQuery(() => getMeta<DispositionEntry[]>('dispositions').then((l) => l ?? NONE), []) ?? NONE;
}
