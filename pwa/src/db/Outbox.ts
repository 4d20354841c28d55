import type { Op } from '../api/types';

/** An op waiting to be pushed, as stored: seq and record id in clear, the whole op sealed. */
export interface StoredOutboxRow {
  localId?: number;
  seq: number;
  /** The record the op is about (index, since schema v2). */
  recordId: string;
  /** The op ("enc1:", or "box1:" when captured while locked). */
  sealed: string;
  state: 'queued';
}

/** An outbox row opened for the push. */
export interface OutboxRow {
  localId?: number;
  seq: number;
  recordId: string;
  op: Op;
  state: 'queued';
}
