import type { SyncedRow } from './rows';

/** Address, coordinates, hazards and the history of earlier calls (all sealed at rest). */
export type PremiseRow = SyncedRow;
