import { updateSettings, useSettings } from '../app/settings';
import { useT } from '../i18n';

/** Language and theme switches, on every screen (also before sign-in). */
export function Prefs() {
  const t = useT();
  const s = useSettings();
  return (
    <div class="prefs">
      <div class="seg" role="group" aria-label={t('app.lang')}>
        <button type="button" data-testid="lang-en" aria-pressed={s.lang === 'en'} lang="en" onClick={() => updateSettings({ lang: 'en' })}>
          {t('app.english')}
        </button>
        <button type="button" data-testid="lang-es" aria-pressed={s.lang === 'es'} lang="es" onClick={() => updateSettings({ lang: 'es' })}>
          {t('app.spanish')}
        </button>
      </div>
      <div class="seg" role="group" aria-label={t('app.theme')}>
        <button type="button" data-testid="theme-light" aria-pressed={s.theme === 'light'} onClick={() => updateSettings({ theme: 'light' })}>
          {t('app.theme.light')}
        </button>
        <button type="button" data-testid="theme-dark" aria-pressed={s.theme === 'dark'} onClick={() => updateSettings({ theme: 'dark' })}>
          {t('app.theme.dark')}
        </button>
      </div>
    </div>
  );
}
