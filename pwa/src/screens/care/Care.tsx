/**
 * The care navigator's desk (online): follow-ups due, referrals and their status, resource search by
 * need and distance; one screen with tabs, each a route /care/<tab>. A supervisor and the program
 * lead read the lists; only a navigator changes a referral's status or closes a follow-up.
 */
import type { ComponentType } from 'preact';
import type { Role } from '../../api/types';
import type { ScreenProps } from '../../app/areas';
import { useSession } from '../../app/useSession';
import { useT, type Key } from '../../i18n';
import { FollowUps } from './FollowUps';
import { Referrals } from './Referrals';
import { Resources } from './Resources';
import type { TabProps } from './view';

const TABS: { id: string; label: Key; Body: ComponentType<TabProps> }[] = [
  { id: 'follow-ups', label: 'care.tab.followUps', Body: FollowUps },
  { id: 'referrals', label: 'care.tab.referrals', Body: Referrals },
  { id: 'resources', label: 'care.tab.resources', Body: Resources },
];

const ACTORS: readonly Role[] = ['care_navigator'];
const CONTENT_READERS: readonly Role[] = ['care_navigator', 'supervisor'];

export default function Care({ param }: ScreenProps) {
  const t = useT();
  const role = useSession()?.user.role;
  const tab = TABS.find((x) => x.id === param.split('/')[0]) ?? TABS[0]!;
  return (
    <section class="supply care" data-testid="care" data-tab={tab.id}>
      <h1>{t('care.title')}</h1>
      <nav class="supply-tabs" aria-label={t('care.tabs')}>
        {TABS.map((x) => (
          <a
            key={x.id}
            href={`#/care/${x.id}`}
            class={x.id === tab.id ? 'active' : ''}
            aria-current={x.id === tab.id ? 'page' : undefined}
            data-testid={`care-tab-${x.id}`}
          >
            {t(x.label)}
          </a>
        ))}
      </nav>
      <tab.Body acts={role !== undefined && ACTORS.includes(role)} content={role !== undefined && CONTENT_READERS.includes(role)} />
    </section>
  );
}
