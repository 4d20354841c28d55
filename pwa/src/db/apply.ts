/**
 * Applying a pull page: records put (sealed, db/vault.ts), tombstones and removals dropped, cursor
 * saved in the SAME transaction, one bulk write per table. Removals never touch the outbox (unsent ops on a removed call are still pushed).
 */
import type { Change } from '../api/types';
import { seal } from '../crypto/keys';
import { AppDB, RECORD_TABLES, type RecordTable } from './AppDB';
import { db, setDb } from './db';
import { KINDS } from './kinds';
import type { StoredRow } from './rows';
import { sealData } from './vault';

/**
 * Records sealed at once (AES-GCM calls in flight): a whole pull page (sync/engine.ts PULL_LIMIT),
 * so a page waits for one round of sealing; a staged snapshot goes a page's worth at a time.
 */
const SEAL_BATCH = 2000;

interface Prepared {
  table: RecordTable;
  id: string;
  row: StoredRow | null;
}

async function prepare(key: CryptoKey, c: Change): Promise<Prepared | null> {
  const spec = KINDS[c.kind];
  if (!spec) return null; // a kind this app version does not know yet: skip, a later version will pull it
  const id = String(c.id);
  if (c.op !== 'put' || !c.data) return { table: spec.table, id, row: null };
  const { clear, sealed } = await sealData(key, c.data, spec.clear);
  return {
    table: spec.table,
    id,
    row: { id, rawId: c.id, version: c.version ?? null, clear, sealed, ...(spec.index?.(c.data) ?? {}) },
  };
}

export interface ApplyOptions {
  cursor: string;
  serverTime: string;
  total?: number | null;
  /** A whole fresh snapshot: the server copy on this tablet is replaced in the same transaction. */
  replace?: boolean;
}

/**
 * A page's changes by table, the last change of a record winning (page order): `null` drops it.
 * Changes of distinct records commute, so each table takes one bulkDelete and one bulkPut.
 */
function byTable(prepared: Prepared[]): Map<RecordTable, Map<string, StoredRow | null>> {
  const out = new Map<RecordTable, Map<string, StoredRow | null>>();
  for (const p of prepared) {
    let rows = out.get(p.table);
    if (!rows) out.set(p.table, (rows = new Map()));
    rows.delete(p.id); // keep the page's order for the last change of each record
    rows.set(p.id, p.row);
  }
  return out;
}

export async function applyChanges(key: CryptoKey, changes: Change[], opts: ApplyOptions): Promise<number> {
  const prepared: Prepared[] = [];
  // Sealed a batch at a time: the page's records are ready before its transaction opens, and a
  // fresh snapshot held whole (thousands of records) never has them all in flight at once.
  for (let i = 0; i < changes.length; i += SEAL_BATCH) {
    const batch = await Promise.all(changes.slice(i, i + SEAL_BATCH).map((c) => prepare(key, c)));
    for (const p of batch) if (p) prepared.push(p);
  }
  const receipt = await seal(key, opts.serverTime);
  const tables = byTable(prepared);
  const d = db();
  // Replacing the copy reads which facts made here are still queued.
  const scope = [...RECORD_TABLES.map((t) => d.table(t)), d.meta, ...(opts.replace ? [d.outbox] : [])];
  await d.transaction('rw', scope, async () => {
    if (opts.replace) await dropServerCopy(d);
    for (const [name, rows] of tables) {
      const gone: string[] = [];
      const put: StoredRow[] = [];
      for (const [id, row] of rows) {
        if (row) put.push(row);
        else gone.push(id);
      }
      const table = d.recordTable(name);
      if (name === 'calls' && put.length) {
        // Keep the overlay of this tablet's unacknowledged edits.
        const existing = await table.bulkGet(put.map((r) => r.id));
        put.forEach((r, i) => {
          const overlay = existing[i]?.localSealed;
          if (overlay) r.localSealed = overlay;
        });
      }
      if (gone.length) await table.bulkDelete(gone);
      if (put.length) await table.bulkPut(put);
    }
    const metas = [
      { key: 'cursor' as const, value: opts.cursor },
      { key: 'last_receipt' as const, value: receipt },
    ];
    await d.meta.bulkPut(opts.total !== undefined && opts.total !== null ? [...metas, { key: 'pull_total', value: opts.total }] : metas);
  });
  return prepared.length;
}

/**
 * Server-confirmed records go; facts made here whose ops are still queued stay. A fact made here
 * whose push was acknowledged is server-confirmed (the pull does not send it back to this tablet).
 */
async function dropServerCopy(d: AppDB): Promise<void> {
  const queued = new Set((await d.outbox.orderBy('recordId').keys()).map(String));
  for (const t of RECORD_TABLES) await d.table(t).filter((r: StoredRow) => !(r.local && queued.has(r.id))).delete();
  await d.meta.delete('cursor');
}

/**
 * The last crew member signed out: records and cursor go, the outbox and rejected stay.
 * "Rebuild from server" and a 410 resync never call this: they replace the copy only once the
 * new snapshot has arrived whole (`applyChanges` with `replace`).
 */
export async function clearRecordsAndCursor(): Promise<void> {
  const d = db();
  await d.transaction('rw', [...RECORD_TABLES.map((t) => d.table(t)), d.meta, d.outbox], () => dropServerCopy(d));
}

/** A revoked device: everything local goes (database, keys, queued ops). */
export async function wipeDatabase(): Promise<void> {
  const d = db();
  d.close();
  await d.delete();
  setDb(new AppDB(d.name));
}
