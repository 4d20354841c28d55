/**
 * Applying a pull page: records put (sealed, db/vault.ts), tombstones and removals dropped, cursor
 * saved in the SAME transaction. Removals never touch the outbox (unsent ops on a removed call are still pushed).
 */
import type { Change } from '../api/types';
import { seal } from '../crypto/keys';
import { AppDB, RECORD_TABLES } from './AppDB';
import { db, setDb } from './db';
import { KINDS } from './kinds';
import type { StoredRow } from './rows';
import { sealData } from './vault';

interface Prepared {
  table: (typeof RECORD_TABLES)[number];
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

export async function applyChanges(key: CryptoKey, changes: Change[], opts: ApplyOptions): Promise<number> {
  const prepared = (await Promise.all(changes.map((c) => prepare(key, c)))).filter((p): p is Prepared => p !== null);
  const receipt = await seal(key, opts.serverTime);
  const d = db();
  await d.transaction('rw', [...RECORD_TABLES.map((t) => d.table(t)), d.meta], async () => {
    if (opts.replace) await dropServerCopy(d);
    for (const p of prepared) {
      const table = d.recordTable(p.table);
      if (!p.row) {
        await table.delete(p.id);
        continue;
      }
      if (p.table === 'calls') {
        // Keep the overlay of this tablet's unacknowledged edits.
        const existing = await d.calls.get(p.id);
        if (existing?.localSealed) p.row.localSealed = existing.localSealed;
      }
      await table.put(p.row);
    }
    const metas = [
      { key: 'cursor' as const, value: opts.cursor },
      { key: 'last_receipt' as const, value: receipt },
    ];
    await d.meta.bulkPut(opts.total !== undefined && opts.total !== null ? [...metas, { key: 'pull_total', value: opts.total }] : metas);
  });
  return prepared.length;
}

/** Server-confirmed records go; facts made here and not yet confirmed stay (their ops are queued). */
async function dropServerCopy(d: AppDB): Promise<void> {
  for (const t of RECORD_TABLES) await d.table(t).filter((r: StoredRow) => !r.local).delete();
  await d.meta.delete('cursor');
}

/**
 * The last crew member signed out: records and cursor go, the outbox and rejected stay.
 * "Rebuild from server" and a 410 resync never call this: they replace the copy only once the
 * new snapshot has arrived whole (`applyChanges` with `replace`).
 */
export async function clearRecordsAndCursor(): Promise<void> {
  const d = db();
  await d.transaction('rw', [...RECORD_TABLES.map((t) => d.table(t)), d.meta], () => dropServerCopy(d));
}

/** A revoked device: everything local goes (database, keys, queued ops). */
export async function wipeDatabase(): Promise<void> {
  const d = db();
  d.close();
  await d.delete();
  setDb(new AppDB(d.name));
}
