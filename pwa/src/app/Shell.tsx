import { useEffect } from 'preact/hooks';
import type { SessionUser } from '../api/types';
import { reviewCount, useLiveQuery } from '../db';
import { useT } from '../i18n';
import { LazyScreen } from '../ui/LazyScreen';
import { PinPrompt } from '../ui/PinPrompt';
import { Prefs } from '../ui/Prefs';
import { StatusBar } from '../ui/StatusBar';
import { UpdateBanner } from '../ui/UpdateBanner';
import { BackupAlerts } from '../ui/BackupAlerts';
import { BackupButton } from '../ui/BackupButton';
import { BroadcastOverlay } from '../ui/BroadcastOverlay';
import { CheckinPrompt } from '../ui/CheckinPrompt';
import { lock } from './auth';
import { navigate, usePath } from './router';
import { allowed, isField } from './areas';
import { getShellActions, homePath, SCREENS, screenFor } from './screens';
import { updateSettings, useSettings } from './settings';
import type { LoginMode } from '../screens/Login';

/** The unlocked app: header, navigation by role, the status bar, and the current screen. */
export function Shell({ user, onSignIn }: { user: SessionUser; onSignIn: (mode: LoginMode) => void }) {
  const t = useT();
  const path = usePath();
  const settings = useSettings();
  const reviewWaiting = useLiveQuery(reviewCount, []) ?? 0;
  const screen = screenFor(path, user.role);
  useEffect(() => {
    if (!screen) navigate(homePath(user.role));
  }, [screen, user.role]);
  const navItems = SCREENS.filter((s) => s.nav && allowed(s.roles, user.role));

  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        {t('app.skip')}
      </a>
      <header class="topbar">
        <span class="brand">
          <img src="/icons/icon-192.png" alt="" width={36} height={36} />
          <span class="hidden-narrow">{t('app.name')}</span>
        </span>
        <span class="who" data-testid="current-user">
          {user.full_name || user.username}
        </span>
        {isField(user.role) && (
          <button
            type="button"
            class={`btn btn-small duty ${settings.onDuty ? 'duty-on' : ''}`}
            aria-pressed={settings.onDuty}
            data-testid="duty-toggle"
            onClick={() => updateSettings({ onDuty: !settings.onDuty })}
          >
            {settings.onDuty ? t('duty.on') : t('duty.off')}
          </button>
        )}
        {getShellActions().map((A, i) => (
          <A key={i} />
        ))}
        <span class="spacer" />
        <Prefs />
        <button type="button" class="btn btn-small" data-testid="lock-now" onClick={lock}>
          {t('app.lock')}
        </button>
      </header>
      {isField(user.role) && <StatusBar onSignIn={() => onSignIn('reauth')} />}
      {isField(user.role) && (
        <>
          <BackupButton />
          <CheckinPrompt />
          <BackupAlerts />
          <BroadcastOverlay />
        </>
      )}
      <UpdateBanner />
      <div class="body">
        <nav class="sidenav" aria-label={t('nav.main')} data-testid="nav">
          {navItems.map((s) => (
            <a
              key={s.id}
              href={`#${s.path}`}
              class={path.startsWith(s.path) || (s.id === 'calls' && path.startsWith('/call/')) ? 'active' : ''}
              aria-current={path.startsWith(s.path) ? 'page' : undefined}
              data-testid={`nav-${s.id}`}
            >
              <span class="nav-icon" aria-hidden="true">
                {s.icon}
              </span>
              <span>{t(s.nav!)}</span>
              {s.id === 'review' && reviewWaiting ? (
                <span class="nav-count" data-testid="review-count" aria-label={t('nav.reviewCount', { count: reviewWaiting })}>
                  {reviewWaiting}
                </span>
              ) : null}
            </a>
          ))}
        </nav>
        <main class="content" id="main" tabIndex={-1}>
          {isField(user.role) && <PinPrompt user={user} />}
          {screen && <LazyScreen def={screen} param={path.slice(screen.path.length)} />}
        </main>
      </div>
    </div>
  );
}
