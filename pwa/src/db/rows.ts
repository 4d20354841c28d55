/** Row shapes shared by the synced tables: as stored (ids in clear, the rest sealed) and as opened. */
import type { ServerId } from '../api/types';

/** A record as IndexedDB holds it: only ids and sync bookkeeping are readable. */
export interface StoredRow {
  /** Primary key: String(server id) or the device-made UUIDv7. */
  id: string;
  /** The id as the server spells it (number or string). */
  rawId: ServerId;
  version: number | null;
  /** The data fields the kind's spec keeps in clear (ids). */
  clear: Record<string, unknown>;
  /** Every other field in one blob: "enc1:" (data key) or "box1:" (sealed while locked). */
  sealed: string | null;
  /** True for a fact made on this tablet (until a pull brings the server's copy); confirmed once its op has left the outbox. */
  local?: boolean;
  /** A fact's call (index). */
  callId?: string;
  /** A call's edits made here and not yet acknowledged, sealed. */
  localSealed?: string | null;
}

/** A record opened for the screens: `clear` holds all its data, `sealed` is null. */
export type SyncedRow = StoredRow;
