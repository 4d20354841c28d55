import { beforeEach, describe, expect, it } from 'vitest';
import { ApiClient, NetworkError } from '../src/api/client';
import type { Op } from '../src/api/types';
import { applyChanges, conflictFieldsByCall, db, getCall, getMeta, setMeta, updateCall } from '../src/db';
import { dispositionEdit, dispositionLabel, keptEntry, offered, type DispositionEntry } from '../src/lib/dispositions';
import { pushOutbox, syncOnce } from '../src/sync/engine';
import { fakeFetch, freshUnlockedDevice, staticTokens } from './helpers';

const entry = (code: string, sort_order: number, active = true): DispositionEntry => ({
  id: sort_order,
  code,
  label_en: `${code} (en)`,
  label_es: `${code} (es)`,
  active,
  sort_order,
});
const LIST = [entry('transported_ed', 20), entry('resolved_on_scene', 10), entry('gone_on_arrival', 90, false)];

describe('the list a crew chooses from', () => {
  it('is kept without the times the answer carries (the store holds no time in clear)', () => {
    const answered = { id: 3, code: 'gone_on_arrival', label_en: 'Gone on arrival', label_es: 'No estaba', active: true, sort_order: 9, updated_at: '2026-12-02T17:05:49.227802+00:00' };
    expect(JSON.stringify(keptEntry(answered))).not.toContain('2026');
    expect(keptEntry(answered)).toEqual({ id: 3, code: 'gone_on_arrival', label_en: 'Gone on arrival', label_es: 'No estaba', active: true, sort_order: 9 });
  });
  it('offers the active entries in the list order', () => {
    expect(offered(LIST, null).map((d) => d.code)).toEqual(['resolved_on_scene', 'transported_ed']);
  });

  it("keeps the call's own code when it was retired or is unknown to this tablet's list", () => {
    expect(offered(LIST, 'gone_on_arrival').map((d) => d.code)).toEqual(['resolved_on_scene', 'transported_ed', 'gone_on_arrival']);
    expect(offered(LIST, 'newer_code').at(-1)).toMatchObject({ code: 'newer_code', label_en: 'newer_code' });
  });

  it('labels an entry in the language, and an unknown code as it is', () => {
    expect(dispositionLabel(LIST, 'transported_ed', 'es')).toBe('transported_ed (es)');
    expect(dispositionLabel(LIST, 'transported_ed', 'en')).toBe('transported_ed (en)');
    expect(dispositionLabel(LIST, 'odd', 'es')).toBe('odd');
  });

  it('a save sends only what changed; clearing the choice sends null', () => {
    const saved = { code: 'resolved_on_scene', text: 'calm' };
    expect(dispositionEdit(saved, { code: 'resolved_on_scene', text: ' calm ' })).toEqual({});
    expect(dispositionEdit(saved, { code: 'transported_ed', text: 'calm' })).toEqual({ disposition_code: 'transported_ed' });
    expect(dispositionEdit(saved, { code: '', text: 'left' })).toEqual({ disposition_code: null, disposition: 'left' });
  });
});

describe('the chosen code syncs', () => {
  let key: CryptoKey;
  beforeEach(async () => {
    key = await freshUnlockedDevice();
    await applyChanges(key, [{ kind: 'call', id: 'c1', op: 'put', version: 3, data: { id: 'c1', priority: 1, received_at: 't', disposition: null, disposition_code: null } }], {
      cursor: 'x',
      serverTime: 't',
    });
  });

  it('the list is kept on the tablet, so it is there offline', async () => {
    await setMeta('dispositions', LIST);
    expect(await getMeta<DispositionEntry[]>('dispositions')).toEqual(LIST);
  });

  it('chosen offline, the edit waits in the outbox and is pushed with the text beside it on reconnect', async () => {
    await updateCall(key, (await getCall('c1'))!, { disposition_code: 'transported_ed', disposition: 'Duke ED' });
    const offline = fakeFetch(() => {
      throw new NetworkError('offline');
    });
    await expect(syncOnce({ api: new ApiClient(offline.fetch, staticTokens), key })).rejects.toThrow();
    expect(await db().outbox.count()).toBe(1);

    const sent: Op[] = [];
    const online = fakeFetch((r) => {
      const op = (r.body as { ops: Op[] }).ops[0]!;
      sent.push(op);
      const record = { id: 'c1', priority: 1, received_at: 't', disposition: 'Duke ED', disposition_code: 'transported_ed', version: 4 };
      return [200, { results: [{ id: op.id, seq: op.seq, outcome: 'applied', version: 4, record }], last_seq: op.seq, server_time: 't' }];
    });
    await pushOutbox({ api: new ApiClient(online.fetch, staticTokens), key });
    expect(sent.map((o) => [o.kind, o.action, o.base_version, o.data])).toEqual([
      ['call', 'update', 3, { disposition_code: 'transported_ed', disposition: 'Duke ED' }],
    ]);
    expect(await db().outbox.count()).toBe(0);
    const call = (await getCall('c1'))!;
    expect([call.version, call.clear.disposition_code, call.localSealed]).toEqual([4, 'transported_ed', null]);
  });

  it("a clash keeps the server's code and the conflict marks the field for review", async () => {
    await updateCall(key, (await getCall('c1'))!, { disposition_code: 'refused_services' });
    const { fetch } = fakeFetch((r) => {
      const op = (r.body as { ops: Op[] }).ops[0]!;
      const record = { id: 'c1', priority: 1, received_at: 't', disposition: null, disposition_code: 'transported_ed', version: 4 };
      return [200, { results: [{ id: op.id, seq: op.seq, outcome: 'conflict', version: 4, conflict_ids: ['k1'], record }], last_seq: op.seq, server_time: 't' }];
    });
    await pushOutbox({ api: new ApiClient(fetch, staticTokens), key });
    await applyChanges(
      key,
      [
        {
          kind: 'conflict',
          id: 'k1',
          op: 'put',
          version: 1,
          data: { id: 'k1', record_kind: 'call', record_id: 'c1', field: 'disposition_code', device_value: 'refused_services', server_value: 'transported_ed' },
        },
      ],
      { cursor: 'y', serverTime: 't' },
    );
    expect((await getCall('c1'))!.clear.disposition_code).toBe('transported_ed');
    expect((await conflictFieldsByCall()).get('c1')).toEqual(new Set(['disposition_code']));
  });
});
