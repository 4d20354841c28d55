import type { SyncedRow } from './rows';

/** A supply_item of the catalog (later issue: supplies). */
export type CatalogRow = SyncedRow;
