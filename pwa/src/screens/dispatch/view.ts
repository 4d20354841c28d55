/**
 * Pure helpers of the dispatch queue: its order, the labels of programs and reason codes, the
 * override rule (another unit than the recommended one needs a reason), what each call offers,
 * distances in words, the unit picker's order, and the debounce of the live stream's bursts.
 */
import type { BoardUnit } from '../../api/board';
import type { DeclineCode, QueueCall, ReasonCode, ResponseKind } from '../../api/dispatch';
import type { Role } from '../../api/types';
import type { Key } from '../../i18n';

/** Ages on screen count seconds for the first minute: they are read again once a second. */
export const AGE_TICK_MS = 1000;
/** Polling while the stream is up: a safety net for an event lost between reconnects. */
export const POLL_MS = 30_000;
/** A CAD update or a dispatch act announces several events at once: one read of the queue for the burst. */
export const REFETCH_DEBOUNCE_MS = 400;
/**
 * A call the CAD changed within this long is marked "updated": long enough to be seen between two
 * looks at the queue, short enough that the mark still means news.
 */
export const UPDATED_RECENT_MS = 10 * 60_000;

/** The stream's events that change the queue; "reset" means events were missed, so the queue is read again too. */
const QUEUE_EVENTS = new Set(['call.received', 'call.updated', 'call.assigned', 'call.resolved', 'call.status', 'reset']);

export function isQueueEvent(type: string): boolean {
  return QUEUE_EVENTS.has(type);
}

/** Newest received first (the order the server sends), then by CAD number, then id: the same order on every read. */
export function sortQueue(calls: readonly QueueCall[]): QueueCall[] {
  const at = (c: QueueCall) => {
    const t = Date.parse(c.received_at);
    return Number.isNaN(t) ? -Infinity : t;
  };
  return [...calls].sort((a, b) => at(b) - at(a) || a.cad_number.localeCompare(b.cad_number) || a.id.localeCompare(b.id));
}

/** The CAD changed the call lately (address, type, narrative...): the dispatcher should read it again. */
export function recentlyUpdated(call: QueueCall, now: number): boolean {
  const at = call.cad_updated_at ? Date.parse(call.cad_updated_at) : NaN;
  return !Number.isNaN(at) && now - at <= UPDATED_RECENT_MS;
}

const RESPONSE_KEYS: Record<ResponseKind, Key> = {
  community_response: 'dispatch.response.community_response',
  co_response: 'dispatch.response.co_response',
  crisis_call_diversion: 'dispatch.response.crisis_call_diversion',
  care_navigation: 'dispatch.response.care_navigation',
  police: 'dispatch.response.police',
  ems: 'dispatch.response.ems',
};

const REASON_KEYS: Record<ReasonCode, Key> = {
  no_unit_on_shift: 'dispatch.reason.no_unit_on_shift',
  all_busy: 'dispatch.reason.all_busy',
  outside_service_area: 'dispatch.reason.outside_service_area',
  outside_hours: 'dispatch.reason.outside_hours',
  safety: 'dispatch.reason.safety',
  invalid_crew: 'dispatch.reason.invalid_crew',
  no_location: 'dispatch.reason.no_location',
  declined_by_team: 'dispatch.reason.declined_by_team',
  resolved_by_phone: 'dispatch.reason.resolved_by_phone',
};

type Translate = (key: Key) => string;

/** A program's or response's name in the reader's language; one the screen does not know, in plain words. */
export function responseLabel(t: Translate, response: string): string {
  const key = (RESPONSE_KEYS as Record<string, Key | undefined>)[response];
  return key ? t(key) : response.replace(/_/g, ' ');
}

/** A HEART program (not police or EMS): shown as the team's to take. */
export function isHeartResponse(response: string): boolean {
  return response in RESPONSE_KEYS && response !== 'police' && response !== 'ems';
}

/** A reason code in the reader's language; one the screen does not know, in plain words. */
export function reasonLabel(t: Translate, code: string): string {
  const key = (REASON_KEYS as Record<string, Key | undefined>)[code];
  return key ? t(key) : code.replace(/_/g, ' ');
}

/** The codes a call is declined with: every reason but "resolved by phone", which has its own act. */
export const DECLINE_CODES: readonly DeclineCode[] = (Object.keys(REASON_KEYS) as ReasonCode[]).filter((c): c is DeclineCode => c !== 'resolved_by_phone');

/** The unit the triage recommends, or null when it recommends none (police, EMS, no unit free). */
export function recommendedUnitId(call: QueueCall): number | null {
  return call.recommendation?.unit_id ?? null;
}

/** Sending `unitId` overrides the recommendation, so the server asks why: any unit when none was recommended. */
export function overrideRequired(call: QueueCall, unitId: number): boolean {
  return unitId !== recommendedUnitId(call);
}

/** The one-click assignment: the recommended unit, unless there is none or it is already on the call. */
export function oneClickUnit(call: QueueCall): number | null {
  const unit = recommendedUnitId(call);
  return unit !== null && unit !== call.unit_id ? unit : null;
}

/** What is wrong with an assignment before it is sent, by the server's field names. */
export function checkAssign(call: QueueCall, unitId: number | null, overrideReason: string): Partial<Record<'unit_id' | 'override_reason', Key>> {
  if (unitId === null) return { unit_id: 'dispatch.error.unit' };
  if (overrideRequired(call, unitId) && !overrideReason.trim()) return { override_reason: 'dispatch.error.override' };
  return {};
}

/** The body's reason: sent only when it overrides (the server keeps none for the recommended unit). */
export function overrideToSend(call: QueueCall, unitId: number, overrideReason: string): string | null {
  return overrideRequired(call, unitId) ? overrideReason.trim() : null;
}

/** Resolving by phone and declining are for a call nobody was sent to (a crew on it clears it from the tablet). */
export function canCloseFromDesk(call: QueueCall): boolean {
  return call.unit_id === null;
}

/** Who resolves a call on the phone: the diversion clinicians, and a supervisor standing in. */
const PHONE_ROLES: readonly Role[] = ['diversion_clinician', 'supervisor'];

export function canResolveByPhone(role: Role | undefined): boolean {
  return role !== undefined && PHONE_ROLES.includes(role);
}

/** Metres to the call: "350 m" under a kilometre, "1.2 km" above, in the reader's number format; "" when unknown. */
export function distanceText(metres: number | null | undefined, lang: 'en' | 'es' = 'en'): string {
  if (metres === null || metres === undefined || !Number.isFinite(metres)) return '';
  const locale = lang === 'es' ? 'es-US' : 'en-US';
  if (metres < 1000) return `${Math.round(metres).toLocaleString(locale)} m`;
  return `${(metres / 1000).toLocaleString(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} km`;
}

/** The units to pick from: available first, then the rest, each group by call sign. */
export function unitChoices(units: readonly BoardUnit[]): BoardUnit[] {
  const rank = (u: BoardUnit) => (u.status === 'available' ? 0 : u.status === 'off_shift' ? 2 : 1);
  return [...units].sort((a, b) => rank(a) - rank(b) || a.call_sign.localeCompare(b.call_sign));
}

/** Runs `fn` once, `ms` after the last of a burst of calls. */
export function debounce(fn: () => void, ms: number): { call(): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  return {
    call() {
      cancel();
      timer = setTimeout(() => {
        timer = null;
        fn();
      }, ms);
    },
    cancel,
  };
}
