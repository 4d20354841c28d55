/**
 * Rows at rest. A stored row is its ids and sync bookkeeping in clear plus one sealed blob: "enc1:"
 * under the data key when unlocked, "box1:" into the write-only box when locked (crypto/box.ts).
 * Reading opens each row with one AES-GCM (rows of a list in parallel). At unlock, rows written in
 * clear by an earlier app version and rows boxed while locked are resealed under the data key.
 */
import { BOX_PREFIX, boxOpen, boxSeal, newBox, openBoxKey, type StoredBox } from '../crypto/box';
import { open, seal, SEALED_PREFIX } from '../crypto/keys';
import { onSessionChange } from '../crypto/session';
import { RECORD_TABLES, type RecordTable } from './AppDB';
import { db } from './db';
import { TABLE_KINDS } from './kinds';
import { sealCrew } from './keystore';
import { getMeta, setMeta } from './metaStore';
import type { OutboxRow, StoredOutboxRow } from './Outbox';
import type { RejectedDetail, RejectedRow, StoredRejectedRow } from './Rejected';
import type { StoredRow, SyncedRow } from './rows';
import type { Op } from '../api/types';

/** The data key when unlocked; null when locked (the value goes into the write-only box). */
export type SealKey = CryptoKey | null;

/** Meta keys whose values tell when or who: sealed like the records. */
const SEALED_META = ['last_receipt'] as const;
/** Columns a stored record row may have besides its kind's index fields. */
const STORED_COLUMNS = ['id', 'rawId', 'version', 'clear', 'sealed', 'local', 'localSealed'];

const boxKeys = new WeakMap<CryptoKey, Promise<CryptoKey | null>>();

/**
 * Opened record data by sealed value, for the unlocked session only (emptied at every lock and
 * unlock): a list re-read after each pull page or capture decrypts only the rows that changed.
 * Bound: a shift's records (1,000 calls, their premises and facts) fit several times over.
 */
const OPENED_MAX = 20_000;
const openedCache = new Map<string, Record<string, unknown>>();
onSessionChange(() => openedCache.clear());

async function openCached(key: CryptoKey, sealed: string): Promise<Record<string, unknown>> {
  const hit = openedCache.get(sealed);
  if (hit) return hit;
  const data = await openValue<Record<string, unknown>>(key, sealed);
  if (openedCache.size >= OPENED_MAX) openedCache.clear();
  openedCache.set(sealed, data);
  return data;
}

function boxKeyFor(key: CryptoKey): Promise<CryptoKey | null> {
  let k = boxKeys.get(key);
  if (!k) {
    k = getMeta<StoredBox>('box').then((box) => (box ? openBoxKey(key, box) : null));
    boxKeys.set(key, k);
  }
  return k;
}

export async function sealValue(key: SealKey, value: unknown): Promise<string> {
  if (key) return seal(key, value);
  const box = await getMeta<StoredBox>('box');
  if (!box) throw new Error('locked');
  return boxSeal(box.publicKey, value);
}

export async function openValue<T>(key: CryptoKey, sealed: string): Promise<T> {
  if (!sealed.startsWith(BOX_PREFIX)) return open<T>(key, sealed);
  const boxKey = await boxKeyFor(key);
  if (!boxKey) throw new Error('no box key on this tablet');
  return boxOpen<T>(boxKey, sealed);
}

/** The kind's clear fields in clear, every other field in one sealed blob. */
export async function sealData(
  key: SealKey,
  data: Record<string, unknown>,
  clearFields: readonly string[],
): Promise<{ clear: Record<string, unknown>; sealed: string | null }> {
  const clear: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) (clearFields.includes(k) ? clear : rest)[k] = v;
  return { clear, sealed: Object.keys(rest).length ? await sealValue(key, rest) : null };
}

/** A stored record row opened: all its data in `clear`, plus the kind's view fields. */
export async function openRecord<R extends SyncedRow = SyncedRow>(key: CryptoKey, table: RecordTable, row: StoredRow): Promise<R> {
  const data = row.sealed ? { ...row.clear, ...(await openCached(key, row.sealed)) } : { ...row.clear };
  return { ...row, clear: data, sealed: null, ...(TABLE_KINDS[table].view?.(data) ?? {}) } as R;
}

/**
 * Rows opened in parallel. A row sealed under a data key this tablet no longer has (a fact made
 * before everyone enrolled was signed out and a new key was made) can never be read: it is left out.
 */
export async function openRecords<R extends SyncedRow = SyncedRow>(key: CryptoKey, table: RecordTable, rows: StoredRow[]): Promise<R[]> {
  return readable(await Promise.allSettled(rows.map((r) => openRecord<R>(key, table, r))));
}

export function readable<T>(results: PromiseSettledResult<T>[]): T[] {
  return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
}

/** An outbox row as written by an app version before sealing: the op in clear, clinical fields apart. */
interface LegacyOutboxRow {
  localId?: number;
  seq: number;
  recordId: string;
  op: Op;
  sealed: string | null;
  state: 'queued';
}

const isLegacyOutbox = (row: StoredOutboxRow | LegacyOutboxRow): row is LegacyOutboxRow => 'op' in row;

export async function openOutboxRow(key: CryptoKey, row: StoredOutboxRow): Promise<OutboxRow> {
  const r = row as StoredOutboxRow | LegacyOutboxRow;
  if (isLegacyOutbox(r)) {
    const clinical = r.sealed ? await open<Record<string, unknown>>(key, r.sealed) : {};
    return { localId: r.localId, seq: r.seq, recordId: r.recordId, op: { ...r.op, data: { ...r.op.data, ...clinical } }, state: r.state };
  }
  return { localId: r.localId, seq: r.seq, recordId: r.recordId, op: await openValue<Op>(key, r.sealed), state: r.state };
}

/** A rejected row as written before sealing: its detail in clear, clinical fields apart. */
type LegacyRejectedRow = Omit<StoredRejectedRow, 'sealed'> & RejectedDetail & { sealed: string | null };

export async function openRejectedRow(key: CryptoKey, row: StoredRejectedRow): Promise<RejectedRow> {
  const base = { id: row.id, seq: row.seq, recordId: row.recordId };
  if (!('rejectedAt' in row)) return { ...base, ...(await openValue<RejectedDetail>(key, row.sealed)) };
  const r = row as LegacyRejectedRow;
  const clinical = r.sealed ? await open<Record<string, unknown>>(key, r.sealed) : {};
  return { ...base, kind: r.kind, errors: r.errors, message: r.message, rejectedAt: r.rejectedAt, data: { ...r.data, ...clinical } };
}

export async function sealRejected(key: CryptoKey, row: RejectedRow): Promise<StoredRejectedRow> {
  const { id, seq, recordId, ...detail } = row;
  return { id, seq, recordId, sealed: await seal(key, detail) };
}

const isSealed = (v: unknown): v is string => typeof v === 'string' && (v.startsWith(SEALED_PREFIX) || v.startsWith(BOX_PREFIX));

/** A meta value that tells when or who (sealed; a value written in clear by an earlier version reads as is). */
export async function getSealedMeta<T>(key: CryptoKey, name: (typeof SEALED_META)[number]): Promise<T | undefined> {
  const v = await getMeta<unknown>(name);
  return isSealed(v) ? openValue<T>(key, v) : (v as T | undefined);
}

/**
 * Marks the store as holding rows to reseal at the next unlock (after a capture while locked).
 * Runs inside the capture's transaction (meta is one of its tables).
 */
export async function markForReseal(): Promise<void> {
  const d = db();
  const gen = ((await d.meta.get('reseal'))?.value as number | undefined) ?? 0;
  await d.meta.put({ key: 'reseal', value: gen + 1 });
}

/** The write-only box of this data key: made at the first unlock, remade when a new data key replaced the old. */
async function ensureBox(key: CryptoKey): Promise<void> {
  const box = await getMeta<StoredBox>('box');
  if (box) {
    try {
      await openBoxKey(key, box);
      return;
    } catch {
      // sealed under an earlier data key, whose records went with it
    }
  }
  const fresh = await newBox(key);
  await setMeta('box', fresh);
  boxKeys.delete(key);
}

function needsReseal(row: StoredRow, table: RecordTable): boolean {
  const spec = TABLE_KINDS[table];
  const allowed = new Set([...STORED_COLUMNS, ...Object.keys(spec.index?.({}) ?? {})]);
  return (
    Object.keys(row).some((c) => !allowed.has(c)) ||
    Object.keys(row.clear).some((f) => !spec.clear.includes(f)) ||
    (row.sealed?.startsWith(BOX_PREFIX) ?? false)
  );
}

async function resealRecord(key: CryptoKey, table: RecordTable, row: StoredRow): Promise<StoredRow> {
  const spec = TABLE_KINDS[table];
  const opened = await openRecord(key, table, row);
  const { clear, sealed } = await sealData(key, opened.clear, spec.clear);
  const out: StoredRow = { id: row.id, rawId: row.rawId, version: row.version, clear, sealed, ...(spec.index?.(opened.clear) ?? {}) };
  if (row.local) out.local = true;
  if (row.localSealed) out.localSealed = row.localSealed;
  return out;
}

/** A row that does not open under this data key stays as it is (it can never be read here). */
const orNull = <T>(p: Promise<T>): Promise<T | null> => p.catch(() => null);

/**
 * Rewrites under the data key every row an earlier app version left in clear and every value boxed
 * while locked. Sealing is done before the transaction; a row changed meanwhile (a pull, a capture)
 * is left for its own writer, and the mark stays if a capture added to the box meanwhile.
 */
async function resealStore(key: CryptoKey): Promise<void> {
  const d = db();
  const gen = (await d.meta.get('reseal'))?.value;
  if (gen === undefined) return;
  const records = await Promise.all(
    RECORD_TABLES.map(async (t) => {
      const rows = (await d.recordTable(t).toArray()).filter((r) => needsReseal(r, t));
      return { t, before: rows, after: await Promise.all(rows.map((r) => orNull(resealRecord(key, t, r)))) };
    }),
  );
  const outboxBefore = (await d.outbox.toArray()).filter((r) => isLegacyOutbox(r as StoredOutboxRow | LegacyOutboxRow) || r.sealed.startsWith(BOX_PREFIX));
  const outboxAfter = await Promise.all(
    outboxBefore.map((r) =>
      orNull(
        openOutboxRow(key, r).then(async (o): Promise<StoredOutboxRow> => ({ localId: o.localId, seq: o.seq, recordId: o.recordId, sealed: await seal(key, o.op), state: o.state })),
      ),
    ),
  );
  const rejectedBefore = (await d.rejected.toArray()).filter((r) => 'rejectedAt' in r);
  const rejectedAfter = await Promise.all(rejectedBefore.map((r) => orNull(openRejectedRow(key, r).then((o) => sealRejected(key, o)))));
  const metaAfter = await Promise.all(
    SEALED_META.map(async (name) => {
      const v = await getMeta<unknown>(name);
      return v === undefined || isSealed(v) ? null : { key: name, value: await seal(key, v) };
    }),
  );
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  await d.transaction('rw', [...RECORD_TABLES.map((t) => d.table(t)), d.outbox, d.rejected, d.meta], async () => {
    for (const { t, before, after } of records) {
      for (let i = 0; i < before.length; i++) {
        const next = after[i];
        if (next && same(await d.recordTable(t).get(before[i]!.id), before[i])) await d.recordTable(t).put(next);
      }
    }
    for (let i = 0; i < outboxBefore.length; i++) {
      const next = outboxAfter[i];
      if (next && same(await d.outbox.get(outboxBefore[i]!.localId!), outboxBefore[i])) await d.outbox.put(next);
    }
    for (let i = 0; i < rejectedBefore.length; i++) {
      const next = rejectedAfter[i];
      if (next && same(await d.rejected.get(rejectedBefore[i]!.id), rejectedBefore[i])) await d.rejected.put(next);
    }
    for (const m of metaAfter) if (m) await d.meta.put(m);
    if ((await d.meta.get('reseal'))?.value === gen) await d.meta.delete('reseal');
  });
}

/** At every unlock and sign-in, before the session starts: the box exists, and nothing is left to reseal. */
export async function unlockStore(key: CryptoKey): Promise<void> {
  await ensureBox(key);
  await sealCrew(key);
  await resealStore(key);
}

