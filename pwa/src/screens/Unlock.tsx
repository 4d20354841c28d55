import { useEffect, useState } from 'preact/hooks';
import type { SessionUser } from '../api/types';
import { crew, unlock, type UnlockResult } from '../app/auth';
import { useT } from '../i18n';

/** Offline unlock: each crew member enrolled on this tablet, with their password or PIN. */
export function Unlock({ onOther }: { onOther: () => void }) {
  const t = useT();
  const [members, setMembers] = useState<SessionUser[]>([]);
  const [who, setWho] = useState('');
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<UnlockResult | null>(null);
  const loadCrew = () =>
    void crew().then((m) => {
      setMembers(m);
      setWho((w) => (m.some((x) => String(x.id) === w) ? w : m[0] ? String(m[0].id) : ''));
    });
  useEffect(loadCrew, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setResult(null);
    const r = await unlock(who, secret);
    setBusy(false);
    setResult(r.kind === 'ok' ? null : r);
    if (r.kind === 'erased') loadCrew();
    setSecret('');
  };

  return (
    <main class="auth-card" id="main">
      <h1>{t('unlock.title')}</h1>
      <p class="muted">{t('unlock.subtitle')}</p>
      <form onSubmit={(e) => void submit(e)} data-testid="unlock-form">
        <fieldset class="crew-pick">
          <legend>{t('unlock.who')}</legend>
          {members.map((m) => (
            <label key={String(m.id)} class={`crew-option ${who === String(m.id) ? 'selected' : ''}`} data-testid="unlock-user">
              <input type="radio" name="who" value={String(m.id)} checked={who === String(m.id)} onChange={() => setWho(String(m.id))} />
              <span class="crew-name">{m.full_name || m.username}</span>
              <span class="muted crew-username">{m.username}</span>
            </label>
          ))}
        </fieldset>
        <label for="unlock-password">{t('unlock.password')}</label>
        <input
          id="unlock-password"
          data-testid="unlock-password"
          type="password"
          autocomplete="current-password"
          autoFocus
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
