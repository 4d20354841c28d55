import type { SyncedRow } from './rows';

/** An open conflict: field, the device's value, the server's value, who changed it and when. */
export type ConflictRow = SyncedRow;
