/**
 * The supply manager's desk: one screen with tabs (stock, receive, transfers, count, discrepancies, alerts,
 * par levels, reorder), each a route /supply/<tab>. A supervisor reads stock and stock cards only.
 */
import type { ComponentType } from 'preact';
import type { Role } from '../../api/types';
import type { ScreenProps } from '../../app/areas';
import { useSession } from '../../app/useSession';
import { useT, type Key } from '../../i18n';
import { Alerts, Discrepancies } from './Issues';
import { ParLevels, Reorder } from './Planning';
import { Count, Receive } from './Receive';
import { Stock, StockCardView } from './Stock';
import { Transfers } from './Transfers';

interface Tab {
  id: string;
  label: Key;
  /** Shown in the tab bar (the stock card is reached from a stock line). */
  inBar: boolean;
  roles: readonly Role[];
  Body: ComponentType<{ rest: string }>;
}

const MANAGER: readonly Role[] = ['supply_manager', 'admin'];
const READERS: readonly Role[] = [...MANAGER, 'supervisor'];

export const TABS: Tab[] = [
  { id: 'stock', label: 'supply.tab.stock', inBar: true, roles: READERS, Body: Stock },
  { id: 'card', label: 'supply.tab.card', inBar: false, roles: READERS, Body: StockCardView },
  { id: 'receive', label: 'supply.tab.receive', inBar: true, roles: MANAGER, Body: Receive },
  { id: 'transfers', label: 'supply.tab.transfers', inBar: true, roles: MANAGER, Body: Transfers },
  { id: 'count', label: 'supply.tab.count', inBar: true, roles: MANAGER, Body: Count },
  { id: 'discrepancies', label: 'supply.tab.discrepancies', inBar: true, roles: MANAGER, Body: Discrepancies },
  { id: 'alerts', label: 'supply.tab.alerts', inBar: true, roles: MANAGER, Body: Alerts },
  { id: 'par', label: 'supply.tab.par', inBar: true, roles: MANAGER, Body: ParLevels },
  { id: 'reorder', label: 'supply.tab.reorder', inBar: true, roles: MANAGER, Body: Reorder },
];

export default function Supply({ param }: ScreenProps) {
  const t = useT();
  const role = useSession()?.user.role;
  const [tabId = '', ...rest] = param.split('/');
  const mine = TABS.filter((tab) => role !== undefined && tab.roles.includes(role));
  const tab = mine.find((x) => x.id === tabId) ?? mine[0];
  if (!tab) return null;
  return (
    <section class="supply" data-testid="supply" data-tab={tab.id}>
      <h1>{t('supply.title')}</h1>
      <nav class="supply-tabs" aria-label={t('supply.tabs')}>
        {mine
          .filter((x) => x.inBar)
          .map((x) => (
            <a
              key={x.id}
              href={`#/supply/${x.id}`}
              class={x.id === tab.id || (tab.id === 'card' && x.id === 'stock') ? 'active' : ''}
              aria-current={x.id === tab.id ? 'page' : undefined}
              data-testid={`supply-tab-${x.id}`}
            >
              {t(x.label)}
            </a>
          ))}
      </nav>
      <tab.Body rest={rest.join('/')} />
    </section>
  );
}
