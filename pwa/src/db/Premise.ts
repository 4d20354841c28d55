import type { SyncedRow } from './rows';

/** Address, coordinates, hazards (clear, for the alerts) and the history of earlier calls (sealed). */
export type PremiseRow = SyncedRow;

export const PREMISE_CLINICAL = ['history', 'notes'] as const;
