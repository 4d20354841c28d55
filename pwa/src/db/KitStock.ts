import type { SyncedRow } from './rows';

/** On-hand count per item for the unit's vehicle kit. */
export type KitStockRow = SyncedRow;
