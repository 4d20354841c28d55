import Dexie, { type EntityTable, type Table } from 'dexie';
import type { CallRow } from './Call';
import type { PremiseRow } from './Premise';
import type { StatusEventRow } from './StatusEvent';
import type { NoteRow } from './Note';
import type { LocationPointRow } from './LocationPoint';
import type { CatalogRow } from './Catalog';
import type { KitStockRow } from './KitStock';
import type { ConflictRow } from './Conflict';
import type { RejectedRow } from './Rejected';
import type { OutboxRow } from './Outbox';
import type { MetaRow } from './Meta';
import type { SyncedRow } from './rows';

export const DB_NAME = 'heart-field';

/**
 * Schema history. Never edit a published version: add one. Every upgrade keeps the outbox rows
 * (queued operations are the only data the server does not have yet); test/migration.test.ts
 * opens version 1 with queued ops and upgrades it.
 */
export const SCHEMA_V1 = {
  calls: 'id, [priority+receivedAt]',
  premises: 'id',
  statusEvents: 'id, callId',
  notes: 'id, callId',
  locationPoints: 'id',
  catalog: 'id',
  conflicts: 'id',
  rejected: 'id, seq',
  outbox: '++localId, &seq, state',
  meta: 'key',
} as const;

/** Version 2: kit stock arrives in the pull; the outbox gets a recordId index (pending edits per record). */
export const SCHEMA_V2 = {
  ...SCHEMA_V1,
  kitStock: 'id',
  outbox: '++localId, &seq, state, recordId',
} as const;

/** Tables that hold server records (cleared by "Rebuild from server" and a 410 resync). */
export const RECORD_TABLES = [
  'calls',
  'premises',
  'statusEvents',
  'notes',
  'locationPoints',
  'catalog',
  'kitStock',
  'conflicts',
] as const;
export type RecordTable = (typeof RECORD_TABLES)[number];

export class AppDB extends Dexie {
  calls!: EntityTable<CallRow, 'id'>;
  premises!: EntityTable<PremiseRow, 'id'>;
  statusEvents!: EntityTable<StatusEventRow, 'id'>;
  notes!: EntityTable<NoteRow, 'id'>;
  locationPoints!: EntityTable<LocationPointRow, 'id'>;
  catalog!: EntityTable<CatalogRow, 'id'>;
  kitStock!: EntityTable<KitStockRow, 'id'>;
  conflicts!: EntityTable<ConflictRow, 'id'>;
  rejected!: EntityTable<RejectedRow, 'id'>;
  outbox!: EntityTable<OutboxRow, 'localId'>;
  meta!: EntityTable<MetaRow, 'key'>;

  constructor(name: string = DB_NAME) {
    super(name);
    this.version(1).stores(SCHEMA_V1);
    this.version(2)
      .stores(SCHEMA_V2)
      .upgrade(async (tx) => {
        await tx
          .table<OutboxRow>('outbox')
          .toCollection()
          .modify((row) => {
            row.recordId = row.recordId ?? row.op.record_id;
          });
      });
  }

  recordTable(name: RecordTable): Table<SyncedRow, string> {
    return this.table(name);
  }
}
