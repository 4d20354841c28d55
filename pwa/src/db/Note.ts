import type { SyncedRow } from './rows';

/** A call_note fact (sealed at rest but for its id and call). */
export interface NoteRow extends SyncedRow {
  callId: string;
}
