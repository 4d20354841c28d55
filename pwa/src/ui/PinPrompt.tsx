import { useEffect, useState } from 'preact/hooks';
import type { SessionUser } from '../api/types';
import { hasPin, MIN_PIN_LENGTH, setPin } from '../app/auth';
import { getMeta, setMeta } from '../db';
import { useT } from '../i18n';

/**
 * Asked of each crew member at their first sign-in on this tablet: how they will unlock it
 * offline (a PIN, or their password). Not a gate: the shift can start either way.
 */
export function PinPrompt({ user }: { user: SessionUser }) {
  const t = useT();
  const id = String(user.id);
  const [ask, setAsk] = useState(false);
  const [pin, setPinValue] = useState('');
  const [msg, setMsg] = useState<string | null>(null);
  useEffect(() => {
    void Promise.all([hasPin(id), getMeta<string[]>('unlock_chosen')]).then(([pinSet, chosen]) => setAsk(!pinSet && !(chosen ?? []).includes(id)));
  }, [id]);
  if (!ask) return null;
  const chosen = async () => setMeta('unlock_chosen', [...((await getMeta<string[]>('unlock_chosen')) ?? []), id]);
  const save = async () => {
    if (pin.length < MIN_PIN_LENGTH || !/^\d+$/.test(pin)) return setMsg(t('settings.pinShort'));
    await setPin(pin);
    await chosen();
    setAsk(false);
  };
  return (
    <section class="card pin-prompt" data-testid="pin-prompt" aria-labelledby="pin-prompt-title">
      <h2 id="pin-prompt-title">{t('pinPrompt.title')}</h2>
      <p class="muted small">{t('pinPrompt.help')}</p>
      <div class="row">
        <label class="sr-only" for="pin-prompt-input">
          {t('settings.pin')}
        </label>
        <input
          id="pin-prompt-input"
          data-testid="pin-prompt-input"
          type="password"
          inputMode="numeric"
          autocomplete="off"
          value={pin}
          onInput={(e) => setPinValue(e.currentTarget.value)}
        />
        <button type="button" class="btn btn-primary" data-testid="pin-prompt-save" onClick={() => void save()}>
          {t('settings.pinSave')}
        </button>
        <button type="button" class="btn btn-ghost" data-testid="pin-prompt-password" onClick={() => void chosen().then(() => setAsk(false))}>
          {t('pinPrompt.usePassword')}
        </button>
      </div>
      {msg && (
        <p class="notice notice-error" role="alert">
          {msg}
        </p>
      )}
    </section>
  );
}
