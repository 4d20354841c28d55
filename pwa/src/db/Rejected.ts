import type { FieldErrors } from '../api/types';

/** An operation the server refused (kept there for a supervisor); shown under "Rejected entries". */
export interface RejectedRow {
  id: string; // op id
  seq: number;
  kind: string;
  recordId: string;
  errors: FieldErrors | null;
  message: string | null;
  rejectedAt: string;
  /** The op's data with clinical fields sealed, as it was in the outbox. */
  data: Record<string, unknown>;
  sealed: string | null;
}
