/**
 * The field logs' rules, as the tablet applies them before the server knows: which catalog item
 * and lot a harm-reduction entry draws from (first expiry first), what the unit's kit holds once
 * this tablet's unsent entries, counts and receipts are counted in, how close a lot is to expiry,
 * and which cleared calls still owe their post-call survey (the gate on the next call).
 */
import { RECORD_KINDS } from '../api/fields';
import { standing, type StatusFact } from './lifecycle';

const ENTRY = RECORD_KINDS.harm_reduction_entry.fields;

/** What a harm-reduction entry records, in the order the log offers them (the server's choices). */
export const HR_CATEGORIES = ENTRY.category.enum;
export type HrCategory = (typeof HR_CATEGORIES)[number];

export const NALOXONE_ROUTES = ENTRY.route.enum;
export const NALOXONE_RESPONSES = ENTRY.response.enum;
export const SHARPS_DISPOSALS = ENTRY.sharps_disposal.enum;
export const YES_NO = RECORD_KINDS.post_call_survey.fields.felt_safe.enum;
export type NaloxoneRoute = (typeof NALOXONE_ROUTES)[number];
export type NaloxoneResponse = (typeof NALOXONE_RESPONSES)[number];
export type SharpsDisposal = (typeof SHARPS_DISPOSALS)[number];

/**
 * The catalog category an entry takes from the kit: a dose given comes out of the naloxone stock;
 * sharps collected are taken in, not given out, so they draw on nothing.
 */
export function itemCategoryOf(category: HrCategory): string | null {
  if (category === 'sharps_collected') return null;
  return category === 'naloxone_administered' ? 'naloxone' : category;
}

/**
 * A lot this close to its expiry date (days) is marked on the kit screen: a month leaves time for
 * the supply manager to send fresh stock before the kit runs out of usable doses.
 */
export const NEAR_EXPIRY_DAYS = 30;
const DAY_MS = 86_400_000;

export type ExpiryState = 'expired' | 'near' | 'ok';

/** `expiresOn`: YYYY-MM-DD (the lot's last usable day); `today`: YYYY-MM-DD on the tablet. */
export function expiryState(expiresOn: string | null, today: string): ExpiryState {
  if (!expiresOn) return 'ok';
  if (expiresOn < today) return 'expired';
  const days = (Date.parse(expiresOn) - Date.parse(today)) / DAY_MS;
  return days <= NEAR_EXPIRY_DAYS ? 'near' : 'ok';
}

/** One (location, lot) of the unit's kit. `lotId` null: stock kept per item, without lots. */
export interface KitLot {
  key: string;
  locationId: number;
  itemId: number;
  lotId: number | null;
  lotNumber: string;
  expiresOn: string | null;
  onHand: number;
}

/** A move recorded on this tablet and not yet sent: an entry (delta) or a count (counted). */
export interface LocalMove {
  at: string;
  itemId: number;
  lotId: number | null;
  /** A count names its location; an entry or a receipt goes to the unit's kit. */
  locationId?: number;
  delta?: number;
  counted?: number;
  /** A receipt brings a lot the kit may not hold yet. */
  lot?: { lotNumber: string; expiresOn: string | null };
}

export const lotKey = (locationId: number, itemId: number, lotId: number | null): string => `${locationId}:${lotId ?? `item-${itemId}`}`;

const byExpiry = (a: KitLot, b: KitLot) =>
  (a.expiresOn ?? '9999-12-31').localeCompare(b.expiresOn ?? '9999-12-31') || a.lotNumber.localeCompare(b.lotNumber) || a.key.localeCompare(b.key);

/** The lot to use first for an item: in stock, not expired, earliest expiry (FEFO); null when none. */
export function fefoLot(lots: readonly KitLot[], itemId: number, today: string): KitLot | null {
  return lots.filter((l) => l.itemId === itemId && l.onHand > 0 && expiryState(l.expiresOn, today) !== 'expired').sort(byExpiry)[0] ?? null;
}

/**
 * The kit as this tablet knows it: the pulled on-hand of each lot, then this tablet's unsent moves
 * in time order (a count sets the lot, an entry or a receipt adds to it). An entry without a lot
 * takes from the item's first lot in FEFO order. Lots sorted by item, then expiry.
 */
export function kitOnHand(pulled: readonly KitLot[], moves: readonly LocalMove[], today: string): KitLot[] {
  const lots = new Map(pulled.map((l) => [l.key, { ...l }]));
  const kitLocation = pulled[0]?.locationId ?? null;
  for (const m of [...moves].sort((a, b) => a.at.localeCompare(b.at))) {
    const locationId = m.locationId ?? kitLocation;
    if (locationId === null) continue;
    const all = [...lots.values()];
    let lot =
      m.lotId === null
        ? (fefoLot(all, m.itemId, today) ?? all.find((l) => l.itemId === m.itemId))
        : lots.get(lotKey(locationId, m.itemId, m.lotId));
    if (!lot) {
      lot = { key: lotKey(locationId, m.itemId, m.lotId), locationId, itemId: m.itemId, lotId: m.lotId, lotNumber: m.lot?.lotNumber ?? '', expiresOn: m.lot?.expiresOn ?? null, onHand: 0 };
      lots.set(lot.key, lot);
    }
    lot.onHand = m.counted ?? lot.onHand + (m.delta ?? 0);
  }
  return [...lots.values()].sort((a, b) => a.itemId - b.itemId || byExpiry(a, b));
}

/** A status fact with its call; `local`: tapped on this tablet. */
export type CallStatusFact = StatusFact & { callId: string; local: boolean };

/**
 * A clearing older than a shift owes no survey any more (a tablet back after days off is not held
 * back by last week's calls): twelve hours, the longest shift the crews work.
 */
export const SURVEY_OWED_MS = 12 * 60 * 60_000;

/**
 * Calls this person cleared on this tablet within a shift (a standing "cleared" tap of theirs made
 * here) that have no survey of theirs yet, answered or skipped, made here or pulled from the crew's
 * other tablet: earliest cleared first. Calls cleared before this tablet knew them (history pulled
 * from the server) owe nothing here. `now`: ms, the server's clock as best known.
 */
export function owedSurveys(facts: readonly CallStatusFact[], surveyedCallIds: ReadonlySet<string>, userId: number | null, now: number): string[] {
  if (userId === null) return [];
  const byCall = new Map<string, CallStatusFact[]>();
  for (const f of facts) byCall.set(f.callId, [...(byCall.get(f.callId) ?? []), f]);
  const owed: { callId: string; at: string }[] = [];
  for (const [callId, callFacts] of byCall) {
    if (surveyedCallIds.has(callId)) continue;
    const cleared = standing(callFacts).find(
      (f) => f.status === 'cleared' && f.author === userId && f.local && now - Date.parse(f.at) <= SURVEY_OWED_MS,
    );
    if (cleared) owed.push({ callId, at: cleared.at });
  }
  return owed.sort((a, b) => a.at.localeCompare(b.at) || a.callId.localeCompare(b.callId)).map((o) => o.callId);
}

/** Taps that take a crew into a response: the ones the survey gate holds back on another call. */
export const RESPONSE_STARTS: readonly string[] = ['en_route', 'on_scene'];

/** The survey that holds back a tap on this call, or null: one owed on any other call. */
export function surveyGate(callId: string, status: string, owed: readonly string[]): string | null {
  if (!RESPONSE_STARTS.includes(status)) return null;
  return owed.find((c) => c !== callId) ?? null;
}

/** The tablet's local day (YYYY-MM-DD) at `ms`, as lots' expiry dates are written. */
export function localDay(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/**
 * The kit's lot a scanned code names: the catalog item with the code's GTIN, and its lot with the
 * code's lot number (a code without one names the item's lot used first). Null: not in this kit.
 */
export function scannedLot(
  lots: readonly KitLot[],
  items: readonly { id: number; gtin: string | null }[],
  scan: { gtin: string; lotNumber: string | null },
  today: string,
): KitLot | null {
  const item = items.find((i) => i.gtin !== null && i.gtin === scan.gtin);
  if (!item) return null;
  if (scan.lotNumber === null) return fefoLot(lots, item.id, today) ?? lots.find((l) => l.itemId === item.id) ?? null;
  return lots.find((l) => l.itemId === item.id && l.lotNumber === scan.lotNumber) ?? null;
}
