/**
 * A row for display: the screens' queries open records already; this adds a call's overlay of
 * edits not yet acknowledged (a cache keeps re-renders cheap).
 */
import { useEffect, useState } from 'preact/hooks';
import { open } from '../crypto/keys';
import { getSession } from '../crypto/session';
import type { SyncedRow } from '../db';

const cache = new Map<string, Record<string, unknown>>();
const CACHE_MAX = 5000;

async function openSealed(key: CryptoKey, sealed: string): Promise<Record<string, unknown>> {
  const hit = cache.get(sealed);
  if (hit) return hit;
  const v = await open<Record<string, unknown>>(key, sealed);
  if (cache.size > CACHE_MAX) cache.clear();
  cache.set(sealed, v);
  return v;
}

export async function openRow(row: SyncedRow & { localSealed?: string | null }): Promise<Record<string, unknown>> {
  const s = getSession();
  if (!s) return { ...row.clear };
  const base = row.sealed ? { ...row.clear, ...(await openSealed(s.dataKey, row.sealed)) } : { ...row.clear };
  return row.localSealed ? { ...base, ...(await openSealed(s.dataKey, row.localSealed)) } : base;
}

export function clearDecryptCache(): void {
  cache.clear();
}

/** Opened data of each row, in the same order (undefined while decrypting). */
export function useOpened<R extends SyncedRow>(rows: R[] | undefined): Record<string, unknown>[] | undefined {
  const [out, setOut] = useState<Record<string, unknown>[] | undefined>(undefined);
  useEffect(() => {
    if (!rows) return;
    let live = true;
    void Promise.all(rows.map(openRow)).then((v) => live && setOut(v));
    return () => {
      live = false;
    };
  }, [rows]);
  return rows ? out : undefined;
}
