/** A call's status is derived from its status facts: the furthest state in the lifecycle wins. */
import type { CallStatus } from '../api/types';

export const LIFECYCLE: readonly CallStatus[] = ['en_route', 'on_scene', 'transporting', 'cleared'];

export function rank(s: unknown): number {
  return LIFECYCLE.indexOf(s as CallStatus);
}

export function furthest(statuses: readonly unknown[]): CallStatus | null {
  let best: CallStatus | null = null;
  for (const s of statuses) if (rank(s) > rank(best)) best = s as CallStatus;
  return best;
}
