import type { SyncedRow } from './rows';

/** A call_status fact: en route, on scene, transporting, cleared, with its time. */
export interface StatusEventRow extends SyncedRow {
  callId: string;
}
