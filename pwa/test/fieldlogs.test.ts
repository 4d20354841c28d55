import { beforeEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../src/api/client';
import type { Change, Op, PushResult } from '../src/api/types';
import {
  CaptureError,
  applyChanges,
  db,
  harmReductionFor,
  kitNow,
  openRecords,
  recordHarmReduction,
  recordKitCount,
  recordOutreachContact,
  recordStatus,
  recordSurvey,
  recordTransferReceipt,
  surveyedCallIds,
  withdrawStatus,
} from '../src/db';
import { expiryState, fefoLot, kitOnHand, lotKey, owedSurveys, scannedLot, surveyGate, type CallStatusFact, type KitLot } from '../src/lib/fieldLogs';
import { parseGs1 } from '../src/lib/gs1';
import { pushOutbox } from '../src/sync/engine';
import { fakeFetch, freshUnlockedDevice, staticTokens, testUser } from './helpers';

const TODAY = '2026-12-01';
const KIT = 40; // the unit's vehicle kit location
const NALOXONE = 3;
const NALOXONE_KIT = 4;
const CALL = '0193a1b2-0000-7000-8000-000000000001';
const OTHER_CALL = '0193a1b2-0000-7000-8000-000000000002';

let key: CryptoKey;
beforeEach(async () => {
  key = await freshUnlockedDevice();
});

const item = (id: number, category: string, name: string): Change => ({ kind: 'supply_item', id: String(id), op: 'put', version: 1, data: { id, name, category, unit_of_measure: 'device' } });
const stock = (lotId: number, itemId: number, lotNumber: string, expiresOn: string, onHand: number): Change => ({
  kind: 'kit_stock',
  id: `${KIT}:${lotId}`,
  op: 'put',
  version: 1,
  data: { id: `${KIT}:${lotId}`, location_id: KIT, item_id: itemId, lot_id: lotId, lot_number: lotNumber, expires_on: expiresOn, on_hand: onHand },
});

/** The pulled kit: naloxone in an expired lot, one expiring soon and a later one; naloxone kits in one lot. */
async function pullKit(): Promise<void> {
  await applyChanges(
    key,
    [
      item(NALOXONE, 'naloxone', 'Naloxone 4 mg nasal'),
      item(NALOXONE_KIT, 'naloxone_kit', 'Naloxone kit'),
      stock(11, NALOXONE, 'NX-OLD', '2026-11-20', 2),
      stock(12, NALOXONE, 'NX-LATE', '2027-06-30', 10),
      stock(13, NALOXONE, 'NX-SOON', '2026-12-15', 4),
      stock(21, NALOXONE_KIT, 'KIT-A', '2027-03-01', 6),
    ],
    { cursor: 'c1', serverTime: '2026-12-01T10:00:00Z' },
  );
}

const onHand = async (lotId: number) => (await kitNow(TODAY)).lots.find((l) => l.lotId === lotId)?.onHand;

/** A server that applies every op it is sent. */
async function pushAll(): Promise<Op[]> {
  const sent: Op[] = [];
  const { fetch } = fakeFetch((r) => {
    const ops = (r.body as { ops: Op[] }).ops;
    sent.push(...ops);
    const results = ops.map((op): PushResult => ({ id: op.id, seq: op.seq, outcome: 'applied', record_id: op.record_id }));
    return [200, { results, last_seq: ops.at(-1)!.seq, server_time: new Date().toISOString(), skew_ms: 0 }];
  });
  await pushOutbox({ api: new ApiClient(fetch, staticTokens), key });
  return sent;
}

describe('a harm-reduction entry is captured with its outbox op in one transaction', () => {
  it('naloxone given and kits handed out on a call: one entry per item, each with its op', async () => {
    await pullKit();
    const ops = await recordHarmReduction(
      key,
      { callId: CALL },
      [
        { category: 'naloxone_administered', quantity: 1, route: 'intranasal', response: 'breathing_restored' },
        { category: 'naloxone_kit', quantity: 2 },
      ],
      TODAY,
    );
    expect(ops.map((o) => [o.kind, o.seq])).toEqual([
      ['harm_reduction_entry', 1],
      ['harm_reduction_entry', 2],
    ]);
    expect(ops[0]!.data).toEqual({ call_id: CALL, category: 'naloxone_administered', quantity: 1, item_id: NALOXONE, lot_id: 13, route: 'intranasal', response: 'breathing_restored' });
    expect(ops[1]!.data).toEqual({ call_id: CALL, category: 'naloxone_kit', quantity: 2, item_id: NALOXONE_KIT, lot_id: 21 });
    expect(await db().outbox.count()).toBe(2);
    const rows = await harmReductionFor({ callId: CALL });
    expect(rows.map((r) => [r.id, r.clear.category, r.clear.quantity, r.clear.author_name])).toEqual([
      [ops[0]!.record_id, 'naloxone_administered', 1, testUser.full_name],
      [ops[1]!.record_id, 'naloxone_kit', 2, testUser.full_name],
    ]);
    // At rest only the ids are readable: the category, doses and route are sealed.
    const stored = await db().harmReduction.toArray();
    expect(stored.map((r) => Object.keys(r.clear).sort())).toEqual([
      ['call_id', 'id'],
      ['call_id', 'id'],
    ]);
    expect(stored.every((r) => r.sealed?.startsWith('enc1:'))).toBe(true);
  });

  it('writes neither the entry nor its op when the entry cannot be written', async () => {
    const d = db();
    const fail = () => {
      throw new Error('disk full');
    };
    d.harmReduction.hook('creating', fail);
    await expect(recordHarmReduction(key, { callId: CALL }, [{ category: 'syringes', quantity: 5 }], TODAY)).rejects.toThrow('disk full');
    d.harmReduction.hook('creating').unsubscribe(fail);
    expect(await d.outbox.count()).toBe(0);
    expect(await d.harmReduction.count()).toBe(0);
    expect((await d.meta.get('last_seq'))?.value).toBeUndefined();
    const [next] = await recordHarmReduction(key, { callId: CALL }, [{ category: 'syringes', quantity: 5 }], TODAY);
    expect(next!.seq).toBe(1);
    expect(await d.harmReduction.count()).toBe(1);
  });

  it('refuses a count below one and details on the wrong item, queueing nothing', async () => {
    const bad = recordHarmReduction(
      key,
      { callId: CALL },
      [
        { category: 'naloxone_kit', quantity: 0 },
        { category: 'syringes', quantity: 2, route: 'intranasal' },
        { category: 'sharps_collected', quantity: 3, sharpsDisposal: 'drop_box', sharpsWhere: 'x'.repeat(201) },
        { category: 'naloxone_administered', quantity: 1 },
        { category: 'syringes', quantity: 1001 }, // past the server's bound: a slip of the finger
      ],
      TODAY,
    );
    await expect(bad).rejects.toBeInstanceOf(CaptureError);
    await expect(bad).rejects.toMatchObject({
      errors: {
        'items.0.quantity': expect.any(Array),
        'items.1.route': expect.any(Array),
        'items.2.sharps_where': expect.any(Array),
        'items.3.route': ['required for naloxone administered'],
        'items.3.response': ['required for naloxone administered'],
        'items.4.quantity': ['a whole number from 1 to 1000'],
      },
    });
    expect(await db().outbox.count()).toBe(0);
  });

  it('sharps collected take nothing from the kit and name no item', async () => {
    await pullKit();
    const [op] = await recordHarmReduction(key, { callId: CALL }, [{ category: 'sharps_collected', quantity: 3, sharpsWhere: 'stairwell', sharpsDisposal: 'sharps_container' }], TODAY);
    expect(op!.data).toEqual({ call_id: CALL, category: 'sharps_collected', quantity: 3, sharps_where: 'stairwell', sharps_disposal: 'sharps_container' });
    const kit = await kitNow(TODAY);
    expect(kit.lots.map((l) => l.onHand)).toEqual([2, 4, 10, 6]);
    expect(kit.unsentMoves).toBe(0);
  });

  it('an outreach contact without a call is recorded first, then the entries name it', async () => {
    const contact = await recordOutreachContact(key, { lat: 35.99, lon: -78.9, place: 'Bus shelter, 5th St' });
    expect(contact.kind).toBe('outreach_contact');
    expect(contact.data).toEqual({ lat: 35.99, lon: -78.9, place: 'Bus shelter, 5th St' });
    const [entry] = await recordHarmReduction(key, { contactId: contact.record_id }, [{ category: 'hygiene_kit', quantity: 1 }], TODAY);
    expect(entry!.data).toMatchObject({ contact_id: contact.record_id, category: 'hygiene_kit', quantity: 1 });
    expect((await harmReductionFor({ contactId: contact.record_id })).length).toBe(1);
    expect([contact.seq, entry!.seq]).toEqual([1, 2]);
  });
});

describe('the lot used first (FEFO)', () => {
  const lot = (lotId: number, expiresOn: string | null, n: number, itemId = NALOXONE): KitLot => ({
    key: lotKey(KIT, itemId, lotId),
    locationId: KIT,
    itemId,
    lotId,
    lotNumber: `L${lotId}`,
    expiresOn,
    onHand: n,
  });

  it('is the earliest expiry among the lots in stock and not expired', () => {
    const lots = [lot(1, '2027-05-01', 3), lot(2, '2026-11-30', 5), lot(3, '2026-12-20', 0), lot(4, '2026-12-24', 1), lot(5, '2026-12-02', 2, NALOXONE_KIT)];
    expect(fefoLot(lots, NALOXONE, TODAY)?.lotId).toBe(4);
    expect(fefoLot(lots, NALOXONE_KIT, TODAY)?.lotId).toBe(5);
    expect(fefoLot([lot(2, '2026-11-30', 5)], NALOXONE, TODAY)).toBeNull();
    // A lot whose last day is today is still usable today; a lot without a date comes last.
    expect(fefoLot([lot(6, null, 9), lot(7, TODAY, 1)], NALOXONE, TODAY)?.lotId).toBe(7);
  });

  it('moves to the next lot once this tablet has used up the first one', async () => {
    await pullKit();
    const [first] = await recordHarmReduction(key, { callId: CALL }, [{ category: 'naloxone_administered', quantity: 4, route: 'intramuscular', response: 'ems_took_over' }], TODAY);
    const [next] = await recordHarmReduction(key, { callId: CALL }, [{ category: 'naloxone_administered', quantity: 1, route: 'intranasal', response: 'no_response' }], TODAY);
    expect([first!.data.lot_id, next!.data.lot_id]).toEqual([13, 12]);
  });

  it('leaves the lot to the server when the tablet knows no stock of the item', async () => {
    const [op] = await recordHarmReduction(key, { callId: CALL }, [{ category: 'naloxone_kit', quantity: 1 }], TODAY);
    expect(op!.data).toEqual({ call_id: CALL, category: 'naloxone_kit', quantity: 1 });
  });

  it('a scanned code names the lot of its GTIN and lot number, or the lot used first when it has no lot', () => {
    const lots = [lot(1, '2027-05-01', 3), lot(4, '2026-12-24', 1)].map((l) => ({ ...l, lotNumber: `NX-${l.lotId}` }));
    const items = [{ id: NALOXONE, gtin: '00369901000107' }, { id: NALOXONE_KIT, gtin: null }];
    const read = (code: string) => {
      const r = parseGs1(code, new Date('2026-12-01T12:00:00Z'));
      if (!r.ok) throw new Error(r.error);
      return r.value;
    };
    expect(scannedLot(lots, items, read('(01)00369901000107(17)270501(10)NX-1'), TODAY)?.lotId).toBe(1);
    expect(scannedLot(lots, items, read('(01)00369901000107'), TODAY)?.lotId).toBe(4);
    expect(scannedLot(lots, items, read('(01)00369901000107(10)NX-9'), TODAY)).toBeNull();
    expect(scannedLot(lots, items, { gtin: '00369901000206', lotNumber: 'NX-1' }, TODAY)).toBeNull();
  });

  it('marks lots expired after their last day and near expiry within a month', () => {
    expect([expiryState('2026-11-30', TODAY), expiryState(TODAY, TODAY), expiryState('2026-12-31', TODAY), expiryState('2027-01-01', TODAY), expiryState(null, TODAY)]).toEqual([
      'expired',
      'near',
      'near',
      'ok',
      'ok',
    ]);
  });
});

describe('the kit on hand is the pulled stock less what this tablet has not sent', () => {
  it('local entries subtract until their push is acknowledged, then the pulled stock counts alone', async () => {
    await pullKit();
    await recordHarmReduction(
      key,
      { callId: CALL },
      [
        { category: 'naloxone_administered', quantity: 1, route: 'intranasal', response: 'breathing_restored' },
        { category: 'naloxone_kit', quantity: 2 },
      ],
      TODAY,
    );
    expect([await onHand(13), await onHand(21), await onHand(12)]).toEqual([3, 4, 10]);
    expect((await kitNow(TODAY)).unsentMoves).toBe(2);
    const sent = await pushAll();
    expect(sent.map((o) => o.kind)).toEqual(['harm_reduction_entry', 'harm_reduction_entry']);
    // Acknowledged: the server's ledger has the move; until the next pull the tablet shows its last copy.
    expect([await onHand(13), await onHand(21)]).toEqual([4, 6]);
    await applyChanges(key, [stock(13, NALOXONE, 'NX-SOON', '2026-12-15', 3), stock(21, NALOXONE_KIT, 'KIT-A', '2027-03-01', 4)], {
      cursor: 'c2',
      serverTime: '2026-12-01T10:05:00Z',
    });
    expect([await onHand(13), await onHand(21)]).toEqual([3, 4]);
    expect((await kitNow(TODAY)).unsentMoves).toBe(0);
  });

  it('a count sets each lot; entries after it subtract from the count', () => {
    const pulled: KitLot[] = [{ key: lotKey(KIT, NALOXONE, 13), locationId: KIT, itemId: NALOXONE, lotId: 13, lotNumber: 'NX-SOON', expiresOn: '2026-12-15', onHand: 4 }];
    const lots = kitOnHand(
      pulled,
      [
        { at: '2026-12-01T10:02:00Z', itemId: NALOXONE, lotId: 13, delta: -1 },
        { at: '2026-12-01T10:01:00Z', itemId: NALOXONE, lotId: 13, locationId: KIT, counted: 7 },
      ],
      TODAY,
    );
    expect(lots.map((l) => l.onHand)).toEqual([6]);
  });

  it('a count is one kit_count per lot sharing one count_id', async () => {
    await pullKit();
    const ops = await recordKitCount(key, [
      { locationId: KIT, itemId: NALOXONE, lotId: 13, counted: 3 },
      { locationId: KIT, itemId: NALOXONE_KIT, lotId: 21, counted: 6 },
    ]);
    expect(ops.map((o) => o.kind)).toEqual(['kit_count', 'kit_count']);
    expect(ops[0]!.data.count_id).toBe(ops[1]!.data.count_id);
    expect(ops.map((o) => o.data)).toEqual([
      { count_id: ops[0]!.data.count_id, location_id: KIT, item_id: NALOXONE, lot_id: 13, counted: 3 },
      { count_id: ops[0]!.data.count_id, location_id: KIT, item_id: NALOXONE_KIT, lot_id: 21, counted: 6 },
    ]);
    expect([await onHand(13), await onHand(21)]).toEqual([3, 6]);
    await expect(recordKitCount(key, [{ locationId: KIT, itemId: NALOXONE, lotId: 13, counted: -1 }])).rejects.toBeInstanceOf(CaptureError);
  });

  it('"Received" on a transfer adds its lines to the kit and marks it received here', async () => {
    await pullKit();
    await applyChanges(
      key,
      [
        {
          kind: 'supply_transfer',
          id: 'tr-1',
          op: 'put',
          version: 1,
          data: {
            id: 'tr-1',
            from_location_name: 'Central warehouse',
            to_location_id: KIT,
            state: 'in_transit',
            sent_at: '2026-12-01T08:00:00Z',
            lines: [
              { item_id: NALOXONE_KIT, lot_id: 21, lot_number: 'KIT-A', expires_on: '2027-03-01', quantity: 5 },
              { item_id: NALOXONE, lot_id: 14, lot_number: 'NX-NEW', expires_on: '2028-01-31', quantity: 12 },
            ],
          },
        },
      ],
      { cursor: 'c2', serverTime: '2026-12-01T10:00:00Z' },
    );
    expect((await kitNow(TODAY)).transfers.map((t) => [t.id, t.receivedHere])).toEqual([['tr-1', false]]);
    const op = await recordTransferReceipt(key, 'tr-1');
    expect([op.kind, op.data]).toEqual(['transfer_receipt', { transfer_id: 'tr-1' }]);
    const kit = await kitNow(TODAY);
    expect(kit.transfers.map((t) => [t.id, t.receivedHere])).toEqual([['tr-1', true]]);
    expect([await onHand(21), await onHand(14)]).toEqual([11, 12]);
  });
});

describe('the post-call survey gate', () => {
  const NOW = Date.parse('2026-12-01T10:00:00Z');
  const fact = (id: string, callId: string, status: string, at: string, author: number | null = testUser.id, withdraws: string | null = null, local = true): CallStatusFact => ({
    id,
    callId,
    status,
    at,
    author,
    withdraws,
    local,
  });

  it('owes a survey for each call this person cleared and has no survey', () => {
    const facts = [
      fact('a', 'c1', 'on_scene', '2026-12-01T09:00:00Z'),
      fact('b', 'c1', 'cleared', '2026-12-01T09:30:00Z'),
      fact('c', 'c2', 'cleared', '2026-12-01T09:10:00Z'),
      fact('d', 'c3', 'cleared', '2026-12-01T09:20:00Z', 99), // a partner cleared it, on their tablet
      fact('e', 'c4', 'cleared', '2026-12-01T09:40:00Z'),
      fact('f', 'c4', 'cleared', '2026-12-01T09:41:00Z', testUser.id, 'e'), // withdrawn
      fact('g', 'c5', 'cleared', '2026-12-01T09:50:00Z'),
      fact('h', 'c6', 'cleared', '2026-11-30T09:00:00Z', testUser.id, null, false), // history pulled from the server
      fact('i', 'c7', 'cleared', '2026-11-30T21:59:00Z'), // more than a shift ago
      fact('j', 'c8', 'cleared', '2026-11-30T22:00:00Z'), // just within the shift
    ];
    expect(owedSurveys(facts, new Set(['c5']), testUser.id, NOW)).toEqual(['c8', 'c2', 'c1']);
    expect(owedSurveys(facts, new Set(), null, NOW)).toEqual([]);
  });

  it('holds back only the taps that start a response, and only on another call', () => {
    expect(surveyGate('c9', 'en_route', ['c1'])).toBe('c1');
    expect(surveyGate('c9', 'on_scene', ['c1'])).toBe('c1');
    expect(surveyGate('c9', 'transporting', ['c1'])).toBeNull();
    expect(surveyGate('c9', 'cleared', ['c1'])).toBeNull();
    expect(surveyGate('c1', 'en_route', ['c1'])).toBeNull();
    expect(surveyGate('c9', 'en_route', [])).toBeNull();
  });

  /** The calls owed as the call screen reads them: status facts on this tablet, surveys made here or pulled. */
  async function owed(): Promise<string[]> {
    const events = await openRecords(key, 'statusEvents', await db().statusEvents.toArray());
    const facts = events.map((e) => ({
      id: e.id,
      callId: String(e.clear.call_id),
      status: e.clear.status,
      at: String(e.clear.at),
      author: (e.clear.user_id as number | undefined) ?? null,
      withdraws: (e.clear.withdraws as string | undefined) ?? null,
      local: !!e.local,
    }));
    return owedSurveys(facts, await surveyedCallIds(testUser.id), testUser.id, Date.now());
  }

  it('a call this person cleared before the tablet pulled it owes nothing here', async () => {
    await applyChanges(
      key,
      [{ kind: 'call_status', id: 'st-1', op: 'put', version: 1, data: { id: 'st-1', call_id: CALL, status: 'cleared', user_id: testUser.id, at: new Date().toISOString() } }],
      { cursor: 'c1', serverTime: new Date().toISOString() },
    );
    expect(await owed()).toEqual([]);
  });

  it('clearing owes the survey; answering it, skipping it, or the other tablet answering it lifts the gate', async () => {
    await recordStatus(key, CALL, 'cleared');
    await recordStatus(key, OTHER_CALL, 'cleared');
    expect((await owed()).sort()).toEqual([CALL, OTHER_CALL].sort());

    const op = await recordSurvey(key, CALL, { felt_safe: 'yes', police_requested: 'no', police_reason: 'ignored when no', debrief_wanted: 'yes', comment: ' calm ' });
    expect([op.kind, op.data]).toEqual(['post_call_survey', { call_id: CALL, felt_safe: 'yes', police_requested: 'no', debrief_wanted: 'yes', comment: 'calm' }]);
    expect(await owed()).toEqual([OTHER_CALL]);

    // A partner's survey is theirs; this person's, answered on the crew's other tablet and pulled, counts.
    const pulled = (id: string, userId: number): Change => ({ kind: 'post_call_survey', id, op: 'put', version: 1, data: { id, call_id: OTHER_CALL, user_id: userId, skipped_reason: 'called to a P1' } });
    await applyChanges(key, [pulled('sv-2', 99)], { cursor: 'c1', serverTime: '2026-12-01T10:00:00Z' });
    expect(await owed()).toEqual([OTHER_CALL]);
    await applyChanges(key, [pulled('sv-3', testUser.id)], { cursor: 'c2', serverTime: '2026-12-01T10:01:00Z' });
    expect(await owed()).toEqual([]);
  });

  it('a skip needs a reason; an undone "cleared" owes nothing', async () => {
    await expect(recordSurvey(key, CALL, { skipped_reason: '  ' })).rejects.toBeInstanceOf(CaptureError);
    const skip = await recordSurvey(key, CALL, { skipped_reason: 'next call waiting' });
    expect(skip.data).toEqual({ call_id: CALL, skipped_reason: 'next call waiting' });
    const tap = await recordStatus(key, OTHER_CALL, 'cleared');
    await withdrawStatus(key, OTHER_CALL, { id: tap.record_id, status: 'cleared' });
    expect(await owed()).toEqual([]);
  });
});
