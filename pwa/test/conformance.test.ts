/**
 * The protocol's conformance cases (tests/conformance/cases/*.json, shared with the server's
 * runners) against the PWA's push and pull handling: the engine (src/sync/engine.ts) and the
 * Dexie code that applies answers (src/db), over fake-indexeddb.
 *
 * The tablet is the client side of each case: a fake server answers every push with the
 * outcomes the case expects and every pull with the changes it expects, and the runner checks
 * what the tablet made of them (outbox, rejected entries, local facts, records, cursor).
 * HLC vectors run against src/lib/hlc.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiClient, HttpError } from '../src/api/client';
import type { Change, Op, PushResult } from '../src/api/types';
import { FACT_KINDS } from '../src/api/facts';
import { db, getMeta, KINDS, listRejected, nextBatch, openRecord, setMeta, type RecordTable, type StoredRow } from '../src/db';
import { sealData, sealValue } from '../src/db/vault';
import { formatHlc, hlcRecv, hlcSend, parseHlc } from '../src/lib/hlc';
import { uuidv7 } from '../src/lib/uuidv7';
import { pullAll, pullSnapshot, pushOutbox, StuckError } from '../src/sync/engine';
import { fakeFetch, freshUnlockedDevice, staticTokens, type Req } from './helpers';

type Json = Record<string, unknown>;

interface OpExpect {
  outcome: PushResult['outcome'];
  replayed?: boolean;
  errors?: string[];
  conflicts?: { field: string; reason: string }[];
  record?: Json;
}

interface OpEntry {
  ref?: string;
  again?: string;
  repeat?: number;
  id?: string;
  seq?: unknown;
  hlc?: string;
  kind?: string;
  action?: string;
  record_id?: string;
  base_version?: unknown;
  device_time_offset_s?: number;
  data?: Json;
  extra?: Json;
  omit?: string[];
  expect: OpExpect;
}

interface Refused {
  status: number;
  errors?: string[];
  action?: string;
}

interface PushStep {
  device: string;
  ops: OpEntry[];
  expect?: { refused?: Refused };
}

interface ExpectedChange {
  kind: string;
  id?: string | null;
  op: Change['op'];
  data?: Json;
}

interface PullStep {
  device: string;
  from: 'start' | 'saved';
  cursor?: 'garbage' | 'tampered';
  limit?: number;
  expect: { kinds?: string[]; changes?: ExpectedChange[]; refused?: Refused };
}

interface HlcVector {
  op: 'send' | 'recv' | 'parse';
  prev?: string | null;
  remote?: string;
  now?: number;
  node?: string;
  text?: string;
  expect?: string;
  valid?: boolean;
}

interface Case {
  name: string;
  pending?: string;
  skip?: { pwa?: string };
  setup?: { calls?: Record<string, string> };
  steps?: Record<string, unknown>[];
  hlc?: HlcVector[];
}

const files = import.meta.glob<{ cases: Case[] }>('../../tests/conformance/cases/*.json', { eager: true, import: 'default' });
const CASES = Object.values(files).flatMap((f) => f.cases);
/** Where the fake server's time starts (the case files' epoch, 2026-11-25T03:00:00Z). */
const NOW = Date.UTC(2026, 10, 25, 3, 0, 0);
/** The fact kinds a tablet also writes locally at capture (a rejected one leaves the records). */
const LOCAL_FACTS = new Set<string>(FACT_KINDS);
/** The cursor the fake server hands out after a fresh snapshot that replaced a refused one. */
const SNAPSHOT_CURSOR = 'fresh-snapshot';

let key: CryptoKey;
beforeEach(async () => {
  key = await freshUnlockedDevice();
});

/** One case on one tablet: symbolic names, the ops as sent, the fake server's answers. */
class PwaRun {
  entities = new Map<string, string>();
  opIds = new Map<string, string>();
  recordIds = new Map<string, string>();
  sent = new Map<string, Op>();
  pulls = 0;

  constructor(setup: Case['setup']) {
    for (const name of Object.keys(setup?.calls ?? {})) this.entities.set(name, uuidv7(NOW));
  }

  value(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.value(x));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.value(x)]));
    if (typeof v === 'string' && v.length > 1 && '@#&'.includes(v[0]!)) {
      const table = { '@': this.entities, '#': this.recordIds, '&': this.opIds }[v[0] as '@' | '#' | '&'];
      const found = table.get(v.slice(1));
      if (found === undefined) throw new Error(`unknown name ${v}`);
      return found;
    }
    return v;
  }

  async baseVersion(v: unknown): Promise<unknown> {
    if (typeof v !== 'string') return v;
    const [when, name] = v.split(':');
    if (when === 'setup') return 1;
    return (await db().calls.get(this.entities.get(name!)!))?.version ?? 1;
  }

  /** The ops of a push step, with the expectation each answer must follow. */
  async build(step: PushStep): Promise<{ op: Op; fresh: boolean; expect: OpExpect }[]> {
    const out: { op: Op; fresh: boolean; expect: OpExpect }[] = [];
    for (const e of step.ops) {
      if (e.again) {
        out.push({ op: structuredClone(this.sent.get(e.again)!), fresh: false, expect: e.expect });
        continue;
      }
      for (let i = 0; i < (e.repeat ?? 1); i++) {
        const seq = typeof e.seq === 'number' ? e.seq + i : e.seq;
        const at = NOW + (e.device_time_offset_s ?? 0) * 1000;
        const op = {
          id: e.id ? (this.value(e.id) as string) : uuidv7(at),
          seq,
          hlc: e.hlc ?? formatHlc({ wall: at, counter: typeof seq === 'number' ? seq % 10000 : 0, node: step.device }),
          kind: e.kind!,
          action: e.action ?? 'create',
          record_id: e.record_id ? (this.value(e.record_id) as string) : uuidv7(at),
          base_version: await this.baseVersion(e.base_version ?? null),
          device_time: new Date(at).toISOString(),
          data: this.value(e.data ?? {}) as Json,
          ...(this.value(e.extra ?? {}) as Json),
        } as Op;
        for (const name of e.omit ?? []) delete (op as unknown as Json)[name];
        if (i === 0 && e.ref) {
          this.opIds.set(e.ref, op.id);
          this.recordIds.set(e.ref, op.record_id);
          this.sent.set(e.ref, op);
        }
        out.push({ op, fresh: true, expect: e.expect });
      }
    }
    return out;
  }

  async push(step: PushStep): Promise<void> {
    const ops = await this.build(step);
    const d = db();
    await d.outbox.clear();
    for (const { op, fresh } of ops) {
      await d.outbox.add({ seq: op.seq as number, recordId: op.record_id, sealed: await sealValue(key, op), state: 'queued' });
      if (fresh && LOCAL_FACTS.has(op.kind)) await d.table(KINDS[op.kind]!.table).put(await localFact(op));
    }
    const byId = new Map(ops.map((o) => [o.op.id, o.expect]));
    const refused = step.expect?.refused;
    let answered = 0;
    const { fetch } = fakeFetch((r: Req): [number, unknown] => {
      if (refused) return [refused.status, errorBody(refused, 'json')];
      const sentOps = (r.body as { ops: Op[] }).ops;
      // A second request in one step resends what was deferred: the server still waits for the gap.
      const results = sentOps.map((op) => (answered ? { id: op.id, seq: op.seq, outcome: 'deferred' } : resultFor(op, byId.get(op.id)!)));
      answered++;
      return [200, { results, last_seq: 0, server_time: new Date(NOW).toISOString(), skew_ms: 0 }];
    });
    const running = pushOutbox({ api: new ApiClient(fetch, staticTokens), key });
    if (refused) {
      await expect(running).rejects.toBeInstanceOf(HttpError);
      expect(await d.outbox.count()).toBe(ops.length);
      return;
    }
    const deferred = ops.filter((o) => o.expect.outcome === 'deferred');
    const rejected = ops.filter((o) => o.expect.outcome === 'rejected' && !o.expect.replayed);
    if (deferred.length) await expect(running).rejects.toBeInstanceOf(StuckError);
    else expect(await running).toEqual({ pushed: ops.length - rejected.length, rejected: rejected.length });

    expect((await nextBatch(key, ops.length + 1)).map((r) => r.op.id).sort()).toEqual(deferred.map((o) => o.op.id).sort());
    const kept = new Map((await listRejected()).map((r) => [r.id, r]));
    for (const o of rejected) expect(Object.keys(kept.get(o.op.id)?.errors ?? {}).sort()).toEqual([...(o.expect.errors ?? [])].sort());
    for (const { op, fresh, expect: want } of ops) {
      if (fresh && LOCAL_FACTS.has(op.kind)) {
        const gone = want.outcome === 'rejected' && !want.replayed;
        expect(await d.table(KINDS[op.kind]!.table).get(op.record_id), `${op.kind} ${op.seq}`).toEqual(gone ? undefined : expect.anything());
      }
      if (want.record && want.outcome !== 'rejected' && want.outcome !== 'deferred') {
        const row = await d.calls.get(op.record_id);
        expect(row, 'the answer\'s record is stored').toBeDefined();
        expect((await openRecord(key, 'calls', row!)).clear).toMatchObject(want.record);
      }
    }
  }

  async pull(step: PullStep): Promise<void> {
    const d = db();
    const want = step.expect;
    const outboxBefore = await d.outbox.count();
    if (want.refused) {
      await this.pullRefused(step, want.refused);
      return;
    }
    const changes = (want.changes ?? []).map((c) => ({
      kind: c.kind,
      id: (c.id === null || c.id === undefined ? uuidv7(NOW) : this.value(c.id)) as string,
      op: c.op,
      version: c.op === 'put' ? 1 : null,
      data: c.op === 'put' ? ({ ...(this.value(c.data ?? {}) as Json) } as Json) : null,
    }));
    for (const c of changes) if (c.data) c.data.id = c.id;
    const limit = step.limit ?? changes.length + 1;
    let cursor = '';
    const pull = ++this.pulls;
    const { fetch } = fakeFetch((r: Req): [number, unknown] => {
      // This pull's cursors say how far it got; the cursor an earlier pull saved starts it.
      const [of, offset] = (new URL(r.path, 'http://tablet.test').searchParams.get('cursor') ?? '').split(':');
      const at = of === `pull${pull}` ? Number(offset) : 0;
      const page = changes.slice(at, at + limit);
      cursor = `pull${pull}:${at + page.length}`;
      const body = { changes: page, cursor, has_more: at + page.length < changes.length, total: at ? 0 : changes.length, server_time: new Date(NOW).toISOString() };
      return [200, body];
    });
    const deps = { api: new ApiClient(fetch, staticTokens), key, pullLimit: limit };
    if (step.from === 'start') await pullSnapshot(deps);
    else await pullAll(deps);

    expect(await getMeta<string>('cursor')).toBe(cursor);
    expect(await d.outbox.count(), 'a pull never touches the outbox').toBe(outboxBefore);
    for (const c of changes) {
      const table = KINDS[c.kind]!.table;
      const row = await d.recordTable(table).get(c.id);
      if (c.op !== 'put') {
        expect(row, `${c.kind} ${c.op}`).toBeUndefined();
        continue;
      }
      expect(row, `${c.kind} put`).toBeDefined();
      expect(row!.version).toBe(1);
      expect((await openRecord(key, table, row!)).clear).toMatchObject(c.data!);
    }
    if (step.from === 'start') {
      // A whole snapshot replaced the server copy: nothing else confirmed by the server is left.
      for (const kind of want.kinds ?? []) {
        const table = KINDS[kind]!.table as RecordTable;
        const confirmed = (await d.recordTable(table).toArray()).filter((r) => !r.local).map((r) => r.id);
        expect(confirmed.sort()).toEqual(changes.filter((c) => c.kind === kind && c.op === 'put').map((c) => c.id).sort());
      }
    }
  }

  /** A cursor the server refuses: the tablet drops it and pulls a fresh snapshot, keeping its outbox. */
  async pullRefused(step: PullStep, refused: Refused): Promise<void> {
    await setMeta('cursor', step.cursor === 'tampered' ? 'pull0:0' : 'not-a-cursor');
    const { fetch, requests } = fakeFetch((r: Req): [number, unknown] => {
      if (r.path.includes('cursor=')) return [refused.status, errorBody(refused, 'query')];
      return [200, { changes: [], cursor: SNAPSHOT_CURSOR, has_more: false, total: 0, server_time: new Date(NOW).toISOString() }];
    });
    const report = await pullAll({ api: new ApiClient(fetch, staticTokens), key });
    expect(report.resynced).toBe(true);
    expect(requests.map((r) => r.path.includes('cursor='))).toEqual([true, false]);
    expect(await getMeta<string>('cursor')).toBe(SNAPSHOT_CURSOR);
  }
}

function errorBody(refused: Refused, location: string): Json {
  const errors = Object.fromEntries((refused.errors ?? []).map((f) => [f, ['refused']]));
  return { code: refused.status, status: 'refused', message: 'refused', errors: { [location]: errors }, ...(refused.action ? { action: refused.action } : {}) };
}

function resultFor(op: Op, want: OpExpect): PushResult {
  const record = want.record ? { id: op.record_id, version: 2, ...want.record } : null;
  return {
    id: op.id,
    seq: op.seq,
    outcome: want.outcome,
    record_id: op.record_id,
    version: want.outcome === 'deferred' || want.outcome === 'rejected' ? null : 2,
    errors: Object.fromEntries((want.errors ?? []).map((f) => [f, ['refused']])),
    conflict_ids: (want.conflicts ?? []).map(() => uuidv7(NOW)),
    replayed: want.replayed ?? false,
    message: '',
    record,
  } as PushResult;
}

/** The fact row a capture writes with its op (db/capture.ts): local until a pull confirms it. */
async function localFact(op: Op): Promise<StoredRow> {
  const spec = KINDS[op.kind]!;
  const data = { ...op.data, id: op.record_id } as Json;
  const { clear, sealed } = await sealData(key, data, spec.clear);
  return { id: op.record_id, rawId: op.record_id, version: null, clear, sealed, local: true, ...(spec.index?.(data) ?? {}) };
}

function runVector(v: HlcVector): void {
  if (v.op === 'parse') {
    if (v.valid) expect(formatHlc(parseHlc(v.text!))).toBe(v.text);
    else expect(() => parseHlc(v.text!)).toThrow(/hlc/);
    return;
  }
  const prev = v.prev ? parseHlc(v.prev) : null;
  const got = v.op === 'send' ? hlcSend(prev, v.now!, v.node!) : hlcRecv(prev, parseHlc(v.remote!), v.now!, v.node!);
  expect(formatHlc(got), JSON.stringify(v)).toBe(v.expect);
}

function title(c: Case): string {
  const why = c.pending ? `pending: ${c.pending}` : c.skip?.pwa;
  return why ? `${c.name} (skipped: ${why})` : c.name;
}

describe('conformance cases', () => {
  it('reads the shared case files', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  for (const c of CASES.filter((x) => x.steps)) {
    it.skipIf(Boolean(c.pending || c.skip?.pwa))(title(c), async () => {
      const run = new PwaRun(c.setup);
      for (const step of c.steps!) {
        const [[verb, body]] = Object.entries(step) as [[string, unknown]];
        if (verb === 'push') await run.push(body as PushStep);
        else if (verb === 'pull') await run.pull(body as PullStep);
        // A server-side change shows on the tablet only through the pulls that follow.
      }
    });
  }

  for (const c of CASES.filter((x) => x.hlc)) {
    it.skipIf(Boolean(c.pending || c.skip?.pwa))(title(c), () => {
      for (const v of c.hlc!) runVector(v);
    });
  }
});
