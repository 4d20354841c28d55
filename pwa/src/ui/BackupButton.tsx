import { useEffect, useRef, useState } from 'preact/hooks';
import { sessionApi } from '../app/auth';
import { listenLive } from '../app/liveEvents';
import { statusFactOf } from '../app/callView';
import { allStatusEvents, listCalls, useLiveQuery } from '../db';
import { formatTime, useT } from '../i18n';
import {
  answer,
  applyBackupEvent,
  cancelBackup,
  currentPosition,
  isOpen,
  latestBackup,
  refreshBackup,
  requestBackup,
  stageOf,
  type Urgency,
} from '../lib/backups';
import { callStatus, isUnderway, rank, type StatusFact } from '../lib/lifecycle';

/** Held this long before it fires: a pocket press or a brush of the screen never asks for help. */
export const HOLD_MS = 1500;
/** While a request is open and the stream may be down, its state is asked for this often. */
const POLL_MS = 10_000;

/** The open call the unit is working (en route, on scene, transporting), newest first. */
async function currentCallId(): Promise<string | null> {
  const [calls, events] = await Promise.all([listCalls(), allStatusEvents()]);
  const facts = new Map<string, StatusFact[]>();
  for (const e of events) facts.set(e.callId, [...(facts.get(e.callId) ?? []), statusFactOf(e)]);
  const working = calls
    .map((c) => ({ id: c.id, status: callStatus(c.clear.status, facts.get(c.id) ?? []) }))
    .filter((c) => isUnderway(c.status));
  working.sort((a, b) => rank(b.status) - rank(a.status));
  return working[0]?.id ?? null;
}

/** The backup button on every responder screen (press and hold), with the request's state beside it. */
export function BackupButton() {
  const t = useT();
  const [urgency, setUrgency] = useState<Urgency>('urgent');
  const [progress, setProgress] = useState(0);
  const [cancelling, setCancelling] = useState(false);
  const [reason, setReason] = useState('');
  const started = useRef<number | null>(null);
  const frame = useRef<number | null>(null);
  const latest = useLiveQuery(() => latestBackup().then((r) => r ?? null), []);
  const openId = latest && isOpen(latest) ? latest.id : null;

  useEffect(
    () =>
      listenLive((e) => {
        if (e.type.startsWith('backup.')) void applyBackupEvent(e.data);
      }),
    [],
  );

  useEffect(() => {
    const api = sessionApi();
    if (!openId || !api || latest?.state !== 'sent') return;
    const timer = setInterval(() => void refreshBackup(api, openId), POLL_MS);
    return () => clearInterval(timer);
  }, [openId, latest?.state]);

  const fire = async () => {
    const [callId, position] = await Promise.all([currentCallId(), currentPosition()]);
    await requestBackup(sessionApi(), { urgency, callId, position });
  };
  const tick = () => {
    if (started.current === null) return;
    const held = Date.now() - started.current;
    setProgress(Math.min(1, held / HOLD_MS));
    if (held >= HOLD_MS) {
      started.current = null;
      setProgress(0);
      void fire();
      return;
    }
    frame.current = requestAnimationFrame(tick);
  };
  const press = () => {
    if (started.current !== null) return;
    started.current = Date.now();
    frame.current = requestAnimationFrame(tick);
  };
  /**
   * The pointer is captured for the hold: a banner appearing above (no signal, a check-in prompt,
   * another unit's alert) moves the button under a still finger or mouse, and without the capture
   * that move is a pointerleave that lets go of the hold (as a touch already is, implicitly).
   */
  const holdPointer = (e: PointerEvent) => {
    const button = e.currentTarget as HTMLElement;
    if (typeof button.setPointerCapture === 'function') button.setPointerCapture(e.pointerId);
    press();
  };
  const release = () => {
    started.current = null;
    if (frame.current !== null) cancelAnimationFrame(frame.current);
    setProgress(0);
  };
  const onKey = (e: KeyboardEvent, down: boolean) => {
    if (e.key !== ' ' && e.key !== 'Enter') return;
    e.preventDefault();
    if (down && !e.repeat) press();
    if (!down) release();
  };

  const server = latest ? answer(latest) : null;
  const stage = latest ? stageOf(latest) : null;
  const stateText = !latest
    ? ''
    : stage === 'queued'
      ? t('backup.queued')
      : stage === 'sent'
        ? t('backup.sent')
        : stage === 'delivered'
          ? t('backup.delivered', { count: server?.delivered_to ?? 0 })
          : stage === 'acknowledged'
            ? t('backup.acknowledged', { name: server?.acknowledged_by?.name ?? '', time: formatTime(server?.acknowledged_at ?? '') })
            : t('backup.closed', { reason: server?.close_reason ?? '' });

  return (
    <div class="backup" data-testid="backup">
      <div class="backup-urgency" role="radiogroup" aria-label={t('backup.urgency')}>
        {(['urgent', 'team'] as const).map((u) => (
          <button key={u} type="button" role="radio" aria-checked={urgency === u} class={`btn btn-small ${urgency === u ? 'active' : ''}`}
            data-testid={`backup-urgency-${u}`} onClick={() => setUrgency(u)}>
            {t(u === 'urgent' ? 'backup.urgent' : 'backup.team')}
          </button>
        ))}
      </div>
      <button
        type="button"
        class="btn backup-button"
        data-testid="backup-button"
        aria-label={t('backup.hold')}
        aria-describedby="backup-state"
        style={{ '--hold': String(progress) }}
        onPointerDown={holdPointer}
        onPointerUp={release}
        onPointerLeave={release}
        onPointerCancel={release}
        onKeyDown={(e) => onKey(e, true)}
        onKeyUp={(e) => onKey(e, false)}
        onContextMenu={(e) => e.preventDefault()}
      >
        {progress > 0 ? t('backup.holding') : t('backup.button')}
      </button>
      <span id="backup-state" class="backup-state" role="status" aria-live="assertive" data-testid="backup-state" data-stage={stage ?? ''}>
        {stateText}
        {latest?.lastError ? ` (${latest.lastError})` : ''}
      </span>
      {latest && isOpen(latest) && stage !== 'queued' && !cancelling && (
        <button type="button" class="btn btn-small" data-testid="backup-cancel" onClick={() => setCancelling(true)}>
          {t('backup.cancel')}
        </button>
      )}
      {cancelling && latest && (
        <form
          class="backup-cancel"
          onSubmit={(e) => {
            e.preventDefault();
            const api = sessionApi();
            if (!api || !reason.trim()) return;
            void cancelBackup(api, latest.id, reason.trim()).then(() => (setCancelling(false), setReason('')));
          }}
        >
          <label>
            {t('backup.cancelReason')}
            <input value={reason} maxLength={300} required data-testid="backup-cancel-reason" onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit" class="btn btn-small">{t('backup.cancelSend')}</button>
        </form>
      )}
    </div>
  );
}
