/**
 * What the live stream tells the field screens beyond their own requests: other units' backup
 * requests (lib/alerts) and the server's check-in prompts for this unit's calls. Held in memory
 * (a reload starts empty: the stream resumes after the last event it handed over) and heard
 * while any field screen shows them.
 */
import { useEffect, useState } from 'preact/hooks';
import { getSession } from '../crypto/session';
import { applyAlertEvent, dismissAlert, NO_ALERTS, type AlertState, type BackupAlert } from '../lib/alerts';
import type { ServerPrompt } from '../lib/checkin';
import { estimatedNow } from '../lib/deviceClock';
import type { LiveEvent } from '../lib/stream';
import { listenLive } from './liveEvents';

export interface FieldAlerts {
  alerts: AlertState;
  /** call id -> the server's last `checkin.due` for it. */
  prompts: ReadonlyMap<string, ServerPrompt>;
}

let current: FieldAlerts = { alerts: NO_ALERTS, prompts: new Map() };
const subscribers = new Set<() => void>();
let stopListening: (() => void) | null = null;

function set(next: FieldAlerts): void {
  current = next;
  for (const s of subscribers) s();
}

/** Folds one live event in (exported for the tests; the screens get it from the stream). */
export function takeLiveEvent(e: LiveEvent): void {
  if (e.type === 'checkin.due' && typeof e.data.call_id === 'string') {
    const since = Date.parse(String(e.data.since));
    const prompt: ServerPrompt = { since: Number.isFinite(since) ? since : estimatedNow(), receivedAt: estimatedNow() };
    set({ ...current, prompts: new Map(current.prompts).set(e.data.call_id, prompt) });
    return;
  }
  if (!e.type.startsWith('backup.')) return;
  const alerts = applyAlertEvent(current.alerts, e, getSession()?.user.unit_id ?? null, estimatedNow());
  if (alerts !== current.alerts) set({ ...current, alerts });
}

export function getFieldAlerts(): FieldAlerts {
  return current;
}

export function dismissBanner(alert: BackupAlert): void {
  set({ ...current, alerts: dismissAlert(current.alerts, alert) });
}

/** The alerts now, re-rendering on each change; the stream is heard while one screen uses this. */
export function useFieldAlerts(): FieldAlerts {
  const [value, setValue] = useState(current);
  useEffect(() => {
    const update = () => setValue(current);
    subscribers.add(update);
    stopListening ??= listenLive(takeLiveEvent);
    update();
    return () => {
      subscribers.delete(update);
      if (subscribers.size) return;
      stopListening?.();
      stopListening = null;
    };
  }, []);
  return value;
}
