import type { SyncedRow } from './rows';

/** An open conflict: field, the device's value, the server's value, who changed it and when. */
export type ConflictRow = SyncedRow;

export const CONFLICT_CLINICAL = ['device_value', 'server_value', 'value', 'resolved_value'] as const;
