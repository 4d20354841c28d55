/**
 * Registry of record kinds that arrive in a pull: which table, which fields are clinical (sealed),
 * which index fields to extract. A new kind is one entry here and a table; the engine does not change.
 */
import type { RecordTable } from './AppDB';
import { CALL_CLINICAL } from './Call';
import { PREMISE_CLINICAL } from './Premise';
import { NOTE_CLINICAL } from './Note';
import { CONFLICT_CLINICAL } from './Conflict';

export interface KindSpec {
  table: RecordTable;
  clinical: readonly string[];
  index?: (data: Record<string, unknown>) => Record<string, unknown>;
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

export const KINDS: Record<string, KindSpec> = {
  call: {
    table: 'calls',
    clinical: CALL_CLINICAL,
    index: (d) => ({
      priority: typeof d.priority === 'number' ? d.priority : Number(d.priority ?? 9) || 9,
      receivedAt: str(d.received_at ?? d.created_at),
    }),
  },
  premise: { table: 'premises', clinical: PREMISE_CLINICAL },
  call_status: { table: 'statusEvents', clinical: [], index: (d) => ({ callId: str(d.call_id) }) },
  call_note: { table: 'notes', clinical: NOTE_CLINICAL, index: (d) => ({ callId: str(d.call_id) }) },
  location_point: { table: 'locationPoints', clinical: [] },
  supply_item: { table: 'catalog', clinical: [] },
  kit_stock: { table: 'kitStock', clinical: [] },
  conflict: { table: 'conflicts', clinical: CONFLICT_CLINICAL },
};
