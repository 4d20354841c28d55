/**
 * Other units' backup requests as the field screens show them, folded from the live stream's
 * backup.* events (their payload is the request: server/backups/services.py request_to_dict).
 * A request or an escalation is a banner, dismissed one event at a time (an escalation of a
 * dismissed request shows again); the broadcast is the overlay no one dismisses. Both go when
 * the request is acknowledged, resolved or cancelled. The unit's own requests are its backup
 * panel's, never an alert on its own tablet.
 */
import type { LiveEvent } from './stream';

export type AlertKind = 'requested' | 'escalated' | 'broadcast';

export interface BackupAlert {
  id: string;
  kind: AlertKind;
  /** The live event that last changed it: what a dismissal names. */
  eventId: number;
  unitId: number | null;
  callSign: string;
  address: string | null;
  cadNumber: string | null;
  position: { lat: number; lon: number } | null;
  urgency: 'urgent' | 'team';
  /** When help was asked for (ms, the server's clock). */
  requestedAt: number;
}

export interface AlertState {
  open: ReadonlyMap<string, BackupAlert>;
  /** Event ids the crew dismissed the banner of. */
  dismissed: ReadonlySet<number>;
}

export const NO_ALERTS: AlertState = { open: new Map(), dismissed: new Set() };

const RAISED: Record<string, AlertKind> = { 'backup.requested': 'requested', 'backup.escalated': 'escalated', 'backup.broadcast': 'broadcast' };
const CLOSED = new Set(['backup.acknowledged', 'backup.resolved', 'backup.cancelled']);

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function positionOf(v: unknown): BackupAlert['position'] {
  if (!v || typeof v !== 'object') return null;
  const { lat, lon } = v as Record<string, unknown>;
  return typeof lat === 'number' && typeof lon === 'number' ? { lat, lon } : null;
}

function alertOf(e: LiveEvent, kind: AlertKind, before: BackupAlert | undefined, now: number): BackupAlert | null {
  const d = e.data;
  const id = text(d.id);
  if (!id) return null;
  return {
    id,
    // Once broadcast, a request stays the broadcast (a late escalation event does not narrow it).
    kind: before?.kind === 'broadcast' || d.broadcast_at ? 'broadcast' : kind,
    eventId: e.id,
    unitId: typeof d.unit_id === 'number' ? d.unit_id : null,
    callSign: text(d.call_sign) ?? '',
    address: text(d.address),
    cadNumber: text(d.cad_number),
    position: positionOf(d.position),
    urgency: d.urgency === 'team' ? 'team' : 'urgent',
    requestedAt: Date.parse(text(d.requested_at) ?? text(d.received_at) ?? '') || now,
  };
}

/** The state after one live event (`ownUnit`: the signed-in crew's unit; `now`: the request's time if it carries none). */
export function applyAlertEvent(state: AlertState, e: LiveEvent, ownUnit: number | null, now: number): AlertState {
  const id = text(e.data.id);
  if (!id) return state;
  if (CLOSED.has(e.type)) {
    if (!state.open.has(id)) return state;
    const open = new Map(state.open);
    open.delete(id);
    return { ...state, open };
  }
  const kind = RAISED[e.type];
  if (!kind || (ownUnit !== null && e.data.unit_id === ownUnit)) return state;
  const alert = alertOf(e, kind, state.open.get(id), now);
  if (!alert) return state;
  return { ...state, open: new Map(state.open).set(id, alert) };
}

export function dismissAlert(state: AlertState, alert: BackupAlert): AlertState {
  return { ...state, dismissed: new Set(state.dismissed).add(alert.eventId) };
}

/** The banners to show, oldest request first: every open alert not dismissed, broadcasts aside. */
export function bannerAlerts(state: AlertState): BackupAlert[] {
  return [...state.open.values()].filter((a) => a.kind !== 'broadcast' && !state.dismissed.has(a.eventId)).sort((a, b) => a.requestedAt - b.requestedAt);
}

/** The broadcasts still open, oldest first: the overlay shows them until each is closed. */
export function broadcastAlerts(state: AlertState): BackupAlert[] {
  return [...state.open.values()].filter((a) => a.kind === 'broadcast').sort((a, b) => a.requestedAt - b.requestedAt);
}

/** Where help is needed: the call's address, else the position the request carries (null: neither). */
export function whereOf(alert: BackupAlert): string | null {
  if (alert.address) return alert.address;
  return alert.position ? `${alert.position.lat.toFixed(5)}, ${alert.position.lon.toFixed(5)}` : null;
}

/** Whole minutes since help was asked for (never negative: the clocks agree only so well). */
export function ageMinutes(alert: BackupAlert, now: number): number {
  return Math.max(0, Math.floor((now - alert.requestedAt) / 60_000));
}
