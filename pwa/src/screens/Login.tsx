import { useEffect, useState } from 'preact/hooks';
import { isRegistered, signIn, SignInFailed } from '../app/auth';
import { useT, type Key } from '../i18n';

export type LoginMode = 'first' | 'addCrew' | 'reauth';

/** The server's limit for a device's name (server/auth/models.py DEVICE_NAME_LENGTH). */
const DEVICE_NAME_MAX = 120;

const TITLES: Record<LoginMode, Key> = { first: 'login.title', addCrew: 'login.addCrewTitle', reauth: 'login.reauthTitle' };

/** Online sign-in: registers the tablet the first time, adds a crew member, or renews tokens. */
export function Login({ mode, defaultUsername = '', onDone, onBack }: { mode: LoginMode; defaultUsername?: string; onDone: () => void; onBack?: () => void }) {
  const t = useT();
  const [username, setUsername] = useState(defaultUsername);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // A tablet not registered yet is named at its first sign-in ("Van 3 tablet").
  const [naming, setNaming] = useState(false);
  const [deviceName, setDeviceName] = useState('');

  useEffect(() => {
    void isRegistered().then((registered) => setNaming(!registered));
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username.trim(), password, naming ? deviceName : '');
      setPassword('');
      onDone();
    } catch (err) {
      const r = err instanceof SignInFailed ? err.reason : ({ kind: 'failed' } as const);
      if (r.kind === 'offline') setError(t('login.offline'));
      else if (r.kind === 'bad') setError(t('login.bad'));
      else if (r.kind === 'throttled') setError(t('login.throttled', { seconds: r.seconds }));
      else if (r.kind === 'locked') setError(t('login.locked', { count: r.count }));
      else if (r.kind === 'otherUnit') setError(t('login.otherUnit'));
      else if (r.kind === 'wiped') setError(t('login.wiped'));
      else if (r.kind === 'retired') setError(t('login.retired'));
      else setError(t('login.failed'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="auth-card" id="main">
      <h1>{t(TITLES[mode])}</h1>
      <p class="muted">{t('login.subtitle')}</p>
      <form onSubmit={(e) => void submit(e)} data-testid="login-form">
        <label for="login-username">{t('login.username')}</label>
        <input
          id="login-username"
          data-testid="login-username"
          autocomplete="username"
          autocapitalize="none"
          required
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
        <label for="login-password">{t('login.password')}</label>
        <input
          id="login-password"
          data-testid="login-password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        {naming && (
          <>
            <label for="login-device-name">{t('login.deviceName')}</label>
            <input
              id="login-device-name"
              data-testid="login-device-name"
              aria-describedby="login-device-name-hint"
              maxLength={DEVICE_NAME_MAX}
              placeholder={t('login.deviceNamePlaceholder')}
              value={deviceName}
              onInput={(e) => setDeviceName(e.currentTarget.value)}
            />
            <p class="muted" id="login-device-name-hint">
              {t('login.deviceNameHint')}
            </p>
          </>
        )}
        {error && (
          <p class="notice notice-error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <div class="row">
          {onBack && (
            <button type="button" class="btn btn-ghost" data-testid="login-back" onClick={onBack}>
              {t('login.back')}
            </button>
          )}
          <button type="submit" class="btn btn-primary btn-wide" data-testid="login-submit" disabled={busy}>
            {busy ? t('login.working') : t('login.submit')}
          </button>
        </div>
      </form>
    </main>
  );
}
