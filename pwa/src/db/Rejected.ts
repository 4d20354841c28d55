import type { FieldErrors } from '../api/types';

/** An operation the server refused, as stored: ids and seq in clear, the rest sealed. */
export interface StoredRejectedRow {
  id: string; // op id
  seq: number;
  recordId: string;
  /** RejectedDetail, sealed. */
  sealed: string;
}

/** What a rejected entry says (kept there for a supervisor); shown under "Rejected entries". */
export interface RejectedDetail {
  kind: string;
  errors: FieldErrors | null;
  message: string | null;
  rejectedAt: string;
  /** The op's data, as it was in the outbox. */
  data: Record<string, unknown>;
}

export type RejectedRow = Omit<StoredRejectedRow, 'sealed'> & RejectedDetail;
