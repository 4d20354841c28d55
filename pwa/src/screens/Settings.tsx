import { useEffect, useState } from 'preact/hooks';
import type { SessionUser } from '../api/types';
import { crew, MIN_PIN_LENGTH, setPin, signOut } from '../app/auth';
import { updateSettings, useSettings } from '../app/settings';
import { useSession } from '../app/useSession';
import { useT } from '../i18n';
import { AlertsToggle } from '../ui/AlertsToggle';
import { Prefs } from '../ui/Prefs';
import { Login } from './Login';

/** Idle lock time, PIN, language/theme, crew on this tablet, sign-out (refused while unsent). */
export default function Settings() {
  const t = useT();
  const settings = useSettings();
  const [idle, setIdle] = useState(String(settings.idleMinutes));
  const [pin, setPinValue] = useState('');
  const [msg, setMsg] = useState<string | null>(null);
  const [members, setMembers] = useState<SessionUser[]>([]);
  const [adding, setAdding] = useState(false);
  const user = useSession()?.user;
  useEffect(() => void crew().then(setMembers), [adding]);

  if (adding) return <Login mode="addCrew" onDone={() => setAdding(false)} onBack={() => setAdding(false)} />;

  const savePin = async () => {
    if (pin.length < MIN_PIN_LENGTH || !/^\d+$/.test(pin)) return setMsg(t('settings.pinShort'));
    await setPin(pin);
    setPinValue('');
    setMsg(t('settings.pinSaved'));
  };
  const doSignOut = async () => {
    const count = await signOut();
    if (count > 0) setMsg(t('settings.signOutRefused', { count }));
  };

  return (
    <section class="settings">
      <h1>{t('settings.title')}</h1>
      {msg && (
        <p class="notice" role="status" data-testid="settings-message">
          {msg}
        </p>
      )}
      <div class="card">
        <Prefs />
      </div>
      <div class="card">
        <label for="idle-minutes">{t('settings.idle')}</label>
        <div class="row">
          <input id="idle-minutes" data-testid="idle-minutes" type="number" min={1} max={120} inputMode="numeric" value={idle} onInput={(e) => setIdle(e.currentTarget.value)} />
          <button
            type="button"
            class="btn"
            data-testid="idle-save"
            onClick={() => {
              const n = Math.min(120, Math.max(1, Number(idle) || settings.idleMinutes));
              updateSettings({ idleMinutes: n });
              setIdle(String(n));
              setMsg(t('settings.saved'));
            }}
          >
            {t('settings.idleSave')}
          </button>
        </div>
      </div>
      <div class="card">
        <label for="pin">{t('settings.pin')}</label>
        <p class="muted small">{t('settings.pinHelp')}</p>
        <div class="row">
          <input id="pin" data-testid="pin-input" type="password" inputMode="numeric" autocomplete="off" value={pin} onInput={(e) => setPinValue(e.currentTarget.value)} />
          <button type="button" class="btn" data-testid="pin-save" onClick={() => void savePin()}>
            {t('settings.pinSave')}
          </button>
        </div>
      </div>
      <div class="card">
        <label class="toggle">
          <input type="checkbox" data-testid="on-duty" checked={settings.onDuty} onChange={(e) => updateSettings({ onDuty: e.currentTarget.checked })} />
          <span>{t('settings.onDuty')}</span>
        </label>
      </div>
      <div class="card">
        <AlertsToggle />
      </div>
      <div class="card">
        <h2>{t('settings.crew')}</h2>
        <ul class="crew-list" data-testid="crew-list">
          {members.map((m) => (
            <li key={String(m.id)}>
              {m.full_name || m.username} <span class="muted">({m.username})</span>
            </li>
          ))}
        </ul>
        <button type="button" class="btn" data-testid="add-crew" onClick={() => setAdding(true)}>
          {t('settings.addCrew')}
        </button>
      </div>
      <div class="card">
        {user && <p>{t('settings.signedInAs', { name: user.full_name || user.username })}</p>}
        <button type="button" class="btn btn-danger" data-testid="sign-out" onClick={() => void doSignOut()}>
          {t('settings.signOut')}
        </button>
      </div>
    </section>
  );
}
