import { AppDB, setDb, db, setMeta, unlockStore } from '../src/db';
import { newDataKey } from '../src/crypto/keys';
import { setSession } from '../src/crypto/session';
import type { SessionUser } from '../src/api/types';
import type { FetchFn } from '../src/api/client';
import { SyncScheduler, type SchedulerDeps } from '../src/sync/scheduler';

let n = 0;
/** A uniquely named database per test. */
export function freshDb(): AppDB {
  const d = new AppDB(`test-${Date.now()}-${n++}-${Math.random().toString(36).slice(2)}`);
  setDb(d);
  return d;
}

export { db, newDataKey };

/** The crew member a test unlocks as. */
export const testUser: SessionUser = { id: 7, username: 'clinician1', full_name: 'Ana Morales, LCSW', role: 'responder_clinician', unit_id: 1 };

/** Unlocks the tablet with this data key, as the app does (write-only box made, old rows resealed). */
export async function unlockWith(key: CryptoKey, user: SessionUser = testUser): Promise<void> {
  await unlockStore(key);
  setSession({ user, dataKey: key });
}

export interface Req {
  method: string;
  path: string;
  body: unknown;
  auth: string | null;
}

/** A fake server: handler returns [status, body]. Records every request. */
export function fakeFetch(handler: (r: Req) => [number, unknown] | Promise<[number, unknown]>): { fetch: FetchFn; requests: Req[] } {
  const requests: Req[] = [];
  const fetch: FetchFn = async (input, init) => {
    const url = new URL(input, 'http://tablet.test');
    const r: Req = {
      method: init?.method ?? 'GET',
      path: url.pathname + url.search,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
      auth: (init?.headers as Record<string, string> | undefined)?.Authorization ?? null,
    };
    requests.push(r);
    const [status, body] = await handler(r);
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  };
  return { fetch, requests };
}

export const staticTokens = { get: () => ({ access: 'A', refresh: 'R' }), set: async () => {} };

/** A fresh database on device `dev1`, unlocked with a new data key (returned). */
export async function freshUnlockedDevice(): Promise<CryptoKey> {
  freshDb();
  const key = await newDataKey();
  await setMeta('device_id', 'dev1');
  await unlockWith(key);
  return key;
}

const schedulers: SyncScheduler[] = [];

/** A scheduler for one test; `stopSchedulers` after it, or its retry timer fires in a later test. */
export function testScheduler(deps: SchedulerDeps): SyncScheduler {
  const scheduler = new SyncScheduler(deps);
  schedulers.push(scheduler);
  return scheduler;
}

export function stopSchedulers(): void {
  for (const scheduler of schedulers.splice(0)) scheduler.stop();
}
