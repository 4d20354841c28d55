/**
 * What the live stream tells the field screens beyond their own requests: other units' backup
 * requests (lib/alerts) and the server's check-in prompts for this unit's calls. The requests are
 * kept sealed in the local store, so a reload (the stream resumes after the last event it handed
 * over) still shows a broadcast until its close arrives; a `reset` (the server no longer has the
 * events the tablet missed) drops them, as their closes may be among those missed.
 */
import { useEffect, useState } from 'preact/hooks';
import { open, seal } from '../crypto/keys';
import { getSession } from '../crypto/session';
import { getMeta, setMeta } from '../db';
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

/** The requests as the local store keeps them. */
interface KeptAlerts {
  open: BackupAlert[];
  dismissed: number[];
}

let current: FieldAlerts = { alerts: NO_ALERTS, prompts: new Map() };
const subscribers = new Set<() => void>();
let stopListening: (() => void) | null = null;

/** Seals the requests into the local store (they name places). */
export async function keepAlerts(key: CryptoKey, alerts: AlertState): Promise<void> {
  const requests = [...alerts.open.values()];
  // Dismissals of requests since closed are kept no longer.
  const kept: KeptAlerts = { open: requests, dismissed: [...alerts.dismissed].filter((id) => requests.some((a) => a.eventId === id)) };
  await setMeta('field_alerts', await seal(key, kept));
}

/** The requests as last kept, or none (nothing kept, or kept under another data key). */
export async function keptAlerts(key: CryptoKey): Promise<AlertState> {
  const sealed = await getMeta<string>('field_alerts');
  if (!sealed) return NO_ALERTS;
  try {
    const kept = await open<KeptAlerts>(key, sealed);
    return { open: new Map(kept.open.map((a) => [a.id, a])), dismissed: new Set(kept.dismissed) };
  } catch {
    return NO_ALERTS;
  }
}

function set(next: FieldAlerts): void {
  const key = getSession()?.dataKey;
  if (key && next.alerts !== current.alerts) void keepAlerts(key, next.alerts);
  current = next;
  for (const s of subscribers) s();
}

/** Folds one live event in (exported for the tests; the screens get it from the stream). */
export function takeLiveEvent(e: LiveEvent): void {
  if (e.type === 'reset') return set({ alerts: NO_ALERTS, prompts: new Map() });
  if (e.type === 'checkin.due' && typeof e.data.call_id === 'string') {
    const since = Date.parse(String(e.data.since));
    const prompt: ServerPrompt = { since: Number.isFinite(since) ? since : estimatedNow(), receivedAt: estimatedNow() };
    return set({ ...current, prompts: new Map(current.prompts).set(e.data.call_id, prompt) });
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

/** The kept requests, then the stream: its events after the last one handed over close or add to them. */
async function startListening(): Promise<void> {
  const key = getSession()?.dataKey;
  if (key && current.alerts === NO_ALERTS) {
    const kept = await keptAlerts(key);
    if (current.alerts === NO_ALERTS) set({ ...current, alerts: kept });
  }
  if (subscribers.size && !stopListening) stopListening = listenLive(takeLiveEvent);
}

/** The alerts now, re-rendering on each change; the stream is heard while one screen uses this. */
export function useFieldAlerts(): FieldAlerts {
  const [value, setValue] = useState(current);
  useEffect(() => {
    const update = () => setValue(current);
    subscribers.add(update);
    if (subscribers.size === 1) void startListening();
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
