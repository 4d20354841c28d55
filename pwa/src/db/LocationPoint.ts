import type { SyncedRow } from './rows';

/** A position of the unit while on duty. */
export type LocationPointRow = SyncedRow;
