import type { SyncedRow } from './rows';

/** A call assigned to this unit, opened. */
export interface CallRow extends SyncedRow {
  /** 1 is the highest priority. */
  priority: number;
  /** ISO time the call was received: the second sort key (in memory only, never stored in clear). */
  receivedAt: string;
  /** Edits made here and not yet acknowledged (disposition, transport destination), sealed. */
  localSealed?: string | null;
}
