import type { SyncedRow } from './rows';

/** A call_note fact; its body is clinical and sealed. */
export interface NoteRow extends SyncedRow {
  callId: string;
}

export const NOTE_CLINICAL = ['body'] as const;
