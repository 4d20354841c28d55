import { useState } from 'preact/hooks';
import { unlock, type UnlockResult } from '../app/auth';
import { useT } from '../i18n';

/** Offline unlock: a crew member enrolled on this tablet types their user name and password or PIN (no names are shown). */
export function Unlock({ onOther }: { onOther: () => void }) {
  const t = useT();
  const [who, setWho] = useState('');
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<UnlockResult | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setResult(null);
    const r = await unlock(who, secret);
    setBusy(false);
    setResult(r.kind === 'ok' ? null : r);
    setSecret('');
  };

  return (
    <main class="auth-card" id="main">
      <h1>{t('unlock.title')}</h1>
      <p class="muted">{t('unlock.subtitle')}</p>
      <form onSubmit={(e) => void submit(e)} data-testid="unlock-form">
        <label for="unlock-username">{t('unlock.who')}</label>
        <input
          id="unlock-username"
          data-testid="unlock-username"
          type="text"
          autocomplete="username"
          autocapitalize="none"
          spellcheck={false}
          autoFocus
          required
          value={who}
          onInput={(e) => setWho(e.currentTarget.value)}
        />
        <label for="unlock-password">{t('unlock.password')}</label>
        <input
          id="unlock-password"
          data-testid="unlock-password"
          type="password"
          autocomplete="current-password"
          required
          value={secret}
          onInput={(e) => setSecret(e.currentTarget.value)}
        />
        {result && (
          <p class="notice notice-error" role="alert" data-testid="unlock-error" data-kind={result.kind}>
            {result.kind === 'wrong'
              ? t('unlock.wrongLeft', { count: result.triesLeft })
              : result.kind === 'wait'
                ? t('unlock.wait', { seconds: result.seconds })
                : t('unlock.erased')}
          </p>
        )}
        <button type="submit" class="btn btn-primary btn-wide" data-testid="unlock-submit" disabled={busy || !who}>
          {busy ? t('unlock.working') : t('unlock.submit')}
        </button>
      </form>
      <button type="button" class="btn btn-ghost btn-wide" data-testid="unlock-other" onClick={onOther}>
        {t('unlock.other')}
      </button>
    </main>
  );
}
