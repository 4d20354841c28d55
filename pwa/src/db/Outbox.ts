import type { Op } from '../api/types';

/** An op waiting to be pushed. Its clinical data fields are sealed (op.data holds the clear rest). */
export interface OutboxRow {
  localId?: number;
  seq: number;
  /** The record the op is about (index, since schema v2). */
  recordId: string;
  op: Op;
  sealed: string | null;
  state: 'queued';
  createdAt: string;
}

export const OP_CLINICAL: Record<string, readonly string[]> = {
  call_note: ['body'],
  call: ['disposition', 'transport_destination'],
};
