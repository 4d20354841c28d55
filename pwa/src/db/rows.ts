/** Row shapes shared by the synced tables: clear fields, plus clinical fields sealed in one blob. */
import type { ServerId } from '../api/types';

export interface SyncedRow {
  /** Primary key: String(server id) or the device-made UUIDv7. */
  id: string;
  /** The id as the server spells it (number or string). */
  rawId: ServerId;
  version: number | null;
  /** Non-clinical fields, in clear. */
  clear: Record<string, unknown>;
  /** Clinical fields, AES-GCM sealed ("enc1:..."), or null when the record has none. */
  sealed: string | null;
  /** True for a record made on this tablet and not yet confirmed by a pull. */
  local?: boolean;
}
