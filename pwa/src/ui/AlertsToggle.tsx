import { useEffect, useState } from 'preact/hooks';
import { sessionApi } from '../app/auth';
import { updateSettings } from '../app/settings';
import { useT, type Key } from '../i18n';
import { disablePush, enablePush, pushState, type PushState } from '../lib/push';

const STATE_TEXT: Record<PushState, Key> = {
  on: 'alerts.stateOn',
  off: 'alerts.stateOff',
  blocked: 'alerts.stateBlocked',
  unsupported: 'alerts.stateUnsupported',
};

/** "Alerts on this device": asks the browser's permission and subscribes; off unsubscribes, and a later sign-in leaves it off. */
export function AlertsToggle() {
  const t = useT();
  const [state, setState] = useState<PushState | null>(null);
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  useEffect(() => void pushState().then(setState), []);

  const toggle = async (on: boolean) => {
    setBusy(true);
    updateSettings({ alerts: on });
    const next = await (on ? enablePush(sessionApi()) : disablePush(sessionApi())).catch(() => 'off' as const);
    // Allowed, yet not on: no signal, or web push is off on the server.
    setFailed(on && next === 'off');
    setState(next);
    setBusy(false);
  };

  return (
    <div data-testid="alerts-device">
      <label class="toggle">
        <input
          type="checkbox"
          data-testid="alerts-toggle"
          checked={state === 'on'}
          disabled={busy || state === null || state === 'blocked' || state === 'unsupported'}
          onChange={(e) => void toggle(e.currentTarget.checked)}
        />
        <span>{t('alerts.device')}</span>
      </label>
      {state && (
        <p class="muted small" role="status" data-testid="alerts-state" data-state={state}>
          {t(STATE_TEXT[state])}
          {failed ? ` ${t('alerts.failed')}` : ''}
        </p>
      )}
    </div>
  );
}
