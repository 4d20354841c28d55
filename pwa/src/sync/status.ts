/** Observable sync state for the status bar (what is happening, and what went wrong, in categories). */
export type SyncProblem = 'offline' | 'signin' | 'server' | 'stuck' | 'locked';

export interface SyncState {
  running: boolean;
  phase: 'push' | 'pull' | null;
  done: number;
  total: number | null;
  problem: SyncProblem | null;
  nextRetryAt: number | null;
  lastSuccessAt: number | null;
}

let state: SyncState = { running: false, phase: null, done: 0, total: null, problem: null, nextRetryAt: null, lastSuccessAt: null };
const listeners = new Set<(s: SyncState) => void>();

export function getSyncState(): SyncState {
  return state;
}

export function patchSyncState(p: Partial<SyncState>): void {
  state = { ...state, ...p };
  for (const l of listeners) l(state);
}

export function onSyncState(l: (s: SyncState) => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
