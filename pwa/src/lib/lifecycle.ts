/** A call's status is derived from its status facts: the furthest state in the lifecycle wins. */
/** The server's lifecycle, in order; the crew sets the last four. */
export const LIFECYCLE = ['received', 'dispatched', 'en_route', 'on_scene', 'transporting', 'cleared'] as const;
export type LifecycleStatus = (typeof LIFECYCLE)[number];

export function rank(s: unknown): number {
  return LIFECYCLE.indexOf(s as LifecycleStatus);
}

export function furthest(statuses: readonly unknown[]): LifecycleStatus | null {
  let best: LifecycleStatus | null = null;
  for (const s of statuses) if (rank(s) > rank(best)) best = s as LifecycleStatus;
  return best;
}

export const isClosed = (s: LifecycleStatus | null): boolean => s === 'cleared';
