import { useEffect, useState } from 'preact/hooks';
import { getSession, onSessionChange } from '../crypto/session';
import { prepareFormats, useT } from '../i18n';
import { Login, type LoginMode } from '../screens/Login';
import { Unlock } from '../screens/Unlock';
import { Shell } from './Shell';
import { Prefs } from '../ui/Prefs';
import { hasCrew } from '../db';
import { onWiped, type WipeNotice } from './auth';
import { clearDecryptCache } from './useOpened';
import { useSession } from './useSession';
import { milestone } from '../lib/milestones';
import { prepareKdf } from '../crypto/keys';
import { preloadFieldHome } from './screens';

type Phase = 'loading' | 'signedOut' | 'locked' | 'unlocked';

/** A person takes seconds to type a user name and password: the unlock's preparation starts well within that. */
const PREPARE_WITHIN_MS = 200;

/** Runs `task` when the page is idle (soon after, where there is no requestIdleCallback: Safari); returns its cancel. */
function whenIdle(task: () => void): () => void {
  if (typeof requestIdleCallback === 'function') {
    const id = requestIdleCallback(task, { timeout: PREPARE_WITHIN_MS });
    return () => cancelIdleCallback(id);
  }
  const id = setTimeout(task, 0);
  return () => clearTimeout(id);
}

/** Argon2id's WebAssembly compiled, the call list's module loaded, the date formatters made. */
function prepareUnlock(): void {
  // A failure here costs nothing: the unlock loads what it needs itself.
  prepareKdf().catch(() => undefined);
  preloadFieldHome();
  prepareFormats();
}

async function phaseNow(): Promise<Phase> {
  if (getSession()) return 'unlocked';
  const crew = await hasCrew();
  milestone('app:phase');
  return crew ? 'locked' : 'signedOut';
}

/** Top level: signed out -> sign in; locked -> unlock; unlocked -> the shell with its screens. */
export function App() {
  const t = useT();
  const [phase, setPhase] = useState<Phase>('loading');
  const [login, setLogin] = useState<LoginMode | null>(null);
  const [wiped, setWiped] = useState<WipeNotice | null>(null);
  // Who is unlocked, as state: adding a crew member or another unlocking re-renders the header.
  const session = useSession();

  useEffect(() => {
    const refresh = () => {
      clearDecryptCache();
      void phaseNow().then(setPhase);
    };
    refresh();
    const offSession = onSessionChange(refresh);
    const offWiped = onWiped((notice) => {
      setWiped(notice);
      refresh();
    });
    return () => {
      offSession();
      offWiped();
    };
  }, []);

  useEffect(() => {
    if (phase !== 'locked') return;
    // Once the form is drawn, while a person types: what pressing Unlock would otherwise wait for.
    return whenIdle(prepareUnlock);
  }, [phase]);

  if (phase === 'loading') return <p class="boot">{t('app.loading')}</p>;

  const authScreen = (body: preact.JSX.Element) => (
    <div class="auth-page" data-phase={phase}>
      <header class="auth-top">
        <span class="brand">
          <img src="/icons/icon-192.png" alt="" width={40} height={40} />
          {t('app.name')}
        </span>
        <Prefs />
      </header>
      {wiped && <WipedNotice notice={wiped} />}
      {body}
    </div>
  );

  if (phase === 'signedOut') return authScreen(<Login mode="first" onDone={() => setWiped(null)} />);
  if (phase === 'locked') {
    return authScreen(
      login ? <Login mode="addCrew" onDone={() => setLogin(null)} onBack={() => setLogin(null)} /> : <Unlock onOther={() => setLogin('addCrew')} />,
    );
  }
  if (!session) return <p class="boot">{t('app.loading')}</p>; // locked a moment ago: the phase follows
  if (login) {
    return authScreen(
      <Login mode={login} defaultUsername={login === 'reauth' ? session.user.username : ''} onDone={() => setLogin(null)} onBack={() => setLogin(null)} />,
    );
  }
  return <Shell user={session.user} onSignIn={(mode) => setLogin(mode)} />;
}

/** Shown once the tablet wiped itself: why it was revoked, and what was not sent. */
function WipedNotice({ notice }: { notice: WipeNotice }) {
  const t = useT();
  const lost = notice.revocation === 'lost';
  const unsent = lost
    ? t(notice.unsent ? 'wiped.lostUnsent' : 'wiped.lostNothingUnsent', { count: notice.unsent })
    : notice.unsent
      ? t('wiped.retiredUnsent', { count: notice.unsent })
      : t('wiped.retiredAllSent');
  return (
    <div
      class={`notice ${lost ? 'notice-error' : 'notice-warn'} auth-notice`}
      role="alert"
      data-testid="wiped-notice"
      data-revocation={notice.revocation}
      data-unsent={notice.unsent}
    >
      <strong>{t(lost ? 'wiped.lostTitle' : 'wiped.retiredTitle')}</strong> {t(lost ? 'wiped.lostBody' : 'wiped.retiredBody')}{' '}
      <span data-testid="wiped-unsent">{unsent}</span> {t('wiped.again')}
    </div>
  );
}
