import type { SyncedRow } from './rows';

/** A call assigned to this unit. */
export interface CallRow extends SyncedRow {
  /** 1 is the highest priority. */
  priority: number;
  /** ISO time the call was received: the second sort key. */
  receivedAt: string;
  /** Edits made here and not yet acknowledged (disposition, transport destination), sealed. */
  localSealed?: string | null;
}

export const CALL_CLINICAL = ['narrative', 'disposition', 'transport_destination', 'description', 'caller_notes'] as const;
