/** Tolerant readers of call and premise data (the server's fields, with fallbacks). */
import { LIFECYCLE, type LifecycleStatus, type StatusFact } from '../lib/lifecycle';
export type Data = Record<string, unknown>;

const s = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

export function callTitle(d: Data): string {
  return s(d.call_type_name ?? d.nature ?? d.call_type ?? d.type ?? d.complaint ?? '');
}

export function callAddress(d: Data, premise?: Data | null): string {
  return s(d.address ?? d.location ?? premise?.address ?? '');
}

export function premiseIdOf(d: Data): string | null {
  const v = d.premise_id ?? (d.premise && typeof d.premise === 'object' ? (d.premise as Data).id : null);
  return v === null || v === undefined ? null : String(v);
}

function textOf(v: unknown): string {
  if (v && typeof v === 'object') {
    const o = v as Data;
    const kind = s(o.kind ?? o.type ?? '').replace(/_/g, ' ');
    const text = s(o.description ?? o.text ?? o.label ?? '');
    return text || kind || JSON.stringify(o);
  }
  return s(v);
}

/** Hazard alerts from the call itself and from its premise. */
export function hazardsOf(call: Data, premise?: Data | null): string[] {
  const out: string[] = [];
  for (const src of [call.hazards, premise?.hazards]) {
    if (Array.isArray(src)) out.push(...src.map(textOf));
    else if (typeof src === 'string' && src) out.push(src);
  }
  return [...new Set(out.filter(Boolean))];
}

/** What the premise's recent calls say (the server counts them: PREMISE_SUMMARY_DAYS). */
export interface PremiseSummary {
  days: number;
  calls: number;
  weaponCalls: number;
}

export function premiseSummaryOf(premise?: Data | null): PremiseSummary | null {
  const sm = premise?.summary;
  if (!sm || typeof sm !== 'object') return null;
  const o = sm as Data;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return { days: n(o.days), calls: n(o.calls), weaponCalls: n(o.weapon_calls) };
}

export interface HistoryItem {
  when: string;
  text: string;
  /** A lifecycle state to show translated, when the server sent a known one. */
  status?: LifecycleStatus;
}

/** Earlier calls at the premise, without the call being viewed (`currentCallId`). */
export function historyOf(premise?: Data | null, currentCallId?: string): HistoryItem[] {
  const h = premise?.history;
  if (!Array.isArray(h)) return typeof h === 'string' && h ? [{ when: '', text: h }] : [];
  return h
    .filter((x) => !(x && typeof x === 'object' && currentCallId && (x as Data).call_id === currentCallId))
    .map((x) => {
      if (x && typeof x === 'object') {
        const o = x as Data;
        return {
          when: s(o.received_at ?? o.date ?? o.at ?? ''),
          text: [
            o.call_type_name ?? o.nature ?? o.summary ?? o.call_type,
            o.cad_number ? `#${s(o.cad_number)}` : null,
            // A call at a premise nearby: where, and how far (the server's radius).
            typeof o.distance_m === 'number' ? `${s(o.address)} (${o.distance_m} m)` : null,
            o.disposition ?? o.outcome,
            o.notes,
          ]
            .filter(Boolean)
            .map(s)
            .join(' — '),
          status: (LIFECYCLE as readonly unknown[]).includes(o.status) ? (o.status as LifecycleStatus) : undefined,
        };
      }
      return { when: '', text: s(x) };
    });
}

/** A status event row (pulled, or tapped here) as the lifecycle rules read it. */
export function statusFactOf(row: { id: string; clear: Data }): StatusFact {
  const c = row.clear;
  const author = typeof c.user_id === 'number' ? c.user_id : null;
  const withdraws = c.withdraws === null || c.withdraws === undefined ? null : String(c.withdraws);
  return { id: row.id, status: c.status, at: s(c.at ?? c.device_time), author, withdraws };
}
