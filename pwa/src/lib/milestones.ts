/**
 * Named points of the app's start, of an unlock and of the call list's first drawing (performance.mark), so where an
 * offline start spends its time can be read from the page (bench/pwa_cold_start.py prints them).
 */
export type Milestone =
  | 'app:boot'
  | 'app:phase'
  | 'unlock:start'
  | 'kdf:loaded'
  | 'kdf:derived'
  | 'unlock:key'
  | 'unlock:store'
  | 'unlock:session'
  | 'calls:screen'
  | 'calls:read'
  | 'calls:opened'
  | 'calls:sorted'
  | 'calls:drawn';

export function milestone(name: Milestone): void {
  globalThis.performance?.mark?.(name);
}
