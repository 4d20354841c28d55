import Dexie, { type EntityTable, type Table } from 'dexie';
import type { StoredRejectedRow } from './Rejected';
import type { StoredOutboxRow } from './Outbox';
import type { MetaRow } from './Meta';
import type { StoredRow } from './rows';

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

/**
 * Version 3: everything about a person or a place is sealed at rest; calls lose their clear sort
 * index (priority and received time are sorted in memory once opened). The upgrade runs without the
 * data key, so it only marks the store: the rows written in clear by earlier versions are resealed
 * at the next unlock (`unlockStore`).
 */
export const SCHEMA_V3 = {
  ...SCHEMA_V2,
  calls: 'id',
} as const;

/**
 * Version 4: field logs and supplies. Harm-reduction entries (per call or outreach contact),
 * outreach contacts, kit counts, transfer receipts and post-call surveys are facts the tablet
 * records; transfers on their way to the unit's kit and supply alerts arrive in the pull.
 */
export const SCHEMA_V4 = {
  ...SCHEMA_V3,
  harmReduction: 'id, callId, contactId',
  contacts: 'id',
  kitCounts: 'id',
  transferReceipts: 'id',
  surveys: 'id, callId',
  transfers: 'id',
  supplyAlerts: 'id',
} as const;

/**
 * Version 5: backup requests and check-in answers. Both are queued on the tablet and sent
 * before any outbox push, so they live in their own tables rather than in the outbox.
 */
export const SCHEMA_V5 = {
  ...SCHEMA_V4,
  backups: 'id, state, callId',
  checkinAnswers: 'id, state, callId',
} as const;

/**
 * Version 6: referrals to community care made on the tablet, queued like backup requests and sent
 * on their own endpoint, before the outbox; what they say of the person is sealed.
 */
export const SCHEMA_V6 = {
  ...SCHEMA_V5,
  careReferrals: 'id, state, callId',
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
  'harmReduction',
  'contacts',
  'kitCounts',
  'transferReceipts',
  'surveys',
  'transfers',
  'supplyAlerts',
] as const;
export type RecordTable = (typeof RECORD_TABLES)[number];

/** A backup request made on this tablet: 'queued' until the server has answered 2xx. */
export interface StoredBackupRow {
  id: string;
  callId: string | null;
  urgency: 'urgent' | 'team';
  position: { lat: number; lon: number; accuracy_m: number | null; recorded_at: string } | null;
  deviceTime: string;
  /** The person unlocked at the press: a tablet the crew shares may send it under another's sign-in. */
  userId?: number | null;
  state: 'queued' | 'sent';
  /** The server's last answer (BackupRequest JSON), or null before the first one. */
  server: Record<string, unknown> | null;
  /** The reason of the last 4xx answer, shown next to the button. */
  lastError: string | null;
}

/** A tap on "All OK?": 'queued' until the server has answered 2xx. */
export interface StoredCheckinAnswerRow {
  id: string;
  callId: string;
  /** The device's own clock at the tap, as the server is sent it. */
  deviceTime: string;
  /** The tap on the server's clock as best known (`estimatedNow`): the local check-in timer counts from it. */
  at: string;
  /** The person unlocked at the tap (as a backup request's). */
  userId?: number | null;
  state: 'queued' | 'sent';
  lastError: string | null;
}

/** A referral to community care made on this tablet: 'queued' until the server has answered. */
export interface StoredCareReferralRow {
  id: string;
  callId: string;
  /** The need and note ({ need, note }), sealed: they are about a person. */
  sealed: string;
  deviceTime: string;
  /** The person unlocked when it was made (as a backup request's). */
  userId: number | null;
  /** 'refused': the server said no (the reason in lastError); kept and shown, never dropped. */
  state: 'queued' | 'sent' | 'refused';
  lastError: string | null;
}

export class AppDB extends Dexie {
  calls!: EntityTable<StoredRow, 'id'>;
  premises!: EntityTable<StoredRow, 'id'>;
  statusEvents!: EntityTable<StoredRow, 'id'>;
  notes!: EntityTable<StoredRow, 'id'>;
  locationPoints!: EntityTable<StoredRow, 'id'>;
  catalog!: EntityTable<StoredRow, 'id'>;
  kitStock!: EntityTable<StoredRow, 'id'>;
  conflicts!: EntityTable<StoredRow, 'id'>;
  harmReduction!: EntityTable<StoredRow, 'id'>;
  contacts!: EntityTable<StoredRow, 'id'>;
  kitCounts!: EntityTable<StoredRow, 'id'>;
  transferReceipts!: EntityTable<StoredRow, 'id'>;
  surveys!: EntityTable<StoredRow, 'id'>;
  transfers!: EntityTable<StoredRow, 'id'>;
  supplyAlerts!: EntityTable<StoredRow, 'id'>;
  backups!: EntityTable<StoredBackupRow, 'id'>;
  checkinAnswers!: EntityTable<StoredCheckinAnswerRow, 'id'>;
  careReferrals!: EntityTable<StoredCareReferralRow, 'id'>;
  rejected!: EntityTable<StoredRejectedRow, 'id'>;
  outbox!: EntityTable<StoredOutboxRow, 'localId'>;
  meta!: EntityTable<MetaRow, 'key'>;

  constructor(name: string = DB_NAME) {
    super(name);
    this.version(1).stores(SCHEMA_V1);
    this.version(2)
      .stores(SCHEMA_V2)
      .upgrade(async (tx) => {
        await tx
          .table<{ recordId?: string; op: { record_id: string } }>('outbox')
          .toCollection()
          .modify((row) => {
            row.recordId = row.recordId ?? row.op.record_id;
          });
      });
    this.version(3)
      .stores(SCHEMA_V3)
      .upgrade((tx) => tx.table<MetaRow, string>('meta').put({ key: 'reseal', value: 1 }));
    this.version(4).stores(SCHEMA_V4);
    this.version(5).stores(SCHEMA_V5);
    this.version(6).stores(SCHEMA_V6);
  }

  recordTable(name: RecordTable): Table<StoredRow, string> {
    return this.table(name);
  }
}
