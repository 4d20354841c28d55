/**
 * Registry of screens and navigation by role. A later screen (supplies, harm-reduction log, survey,
 * dispatch queue, supervisor board...) is one entry here with a lazy import; shell actions
 * (the backup button that sits on every screen) register with registerShellAction.
 */
import type { ComponentType } from 'preact';
import { FIELD_ROLES, type Role } from '../api/types';
import type { Key } from '../i18n';
import { allowed, isField, type Audience, type ScreenProps } from './areas';

export interface ScreenDef {
  id: string;
  /** Route prefix, e.g. '/call/'. */
  path: string;
  /** Label in the navigation; screens without one are reached from others. */
  nav?: Key;
  icon?: string;
  /** Who sees it: 'field' roles, 'all', or a list. */
  roles: Audience;
  /** Roles that land on this screen after unlocking. */
  home?: readonly Role[];
  load: () => Promise<{ default: ComponentType<ScreenProps> }>;
}

export const SCREENS: ScreenDef[] = [
  { id: 'calls', path: '/calls', nav: 'nav.calls', icon: '☰', roles: 'field', load: () => import('../screens/CallList') },
  { id: 'call', path: '/call/', roles: 'field', load: () => import('../screens/CallDetail') },
  // The unit's kit, the harm-reduction log (on a call or an outreach contact) and the post-call survey.
  { id: 'kit', path: '/kit', nav: 'nav.supplies', icon: '✚', roles: 'field', load: () => import('../screens/Kit') },
  { id: 'hr', path: '/hr/', nav: 'nav.harmReduction', icon: '♥', roles: 'field', load: () => import('../screens/HarmReduction') },
  { id: 'survey', path: '/survey/', nav: 'nav.survey', icon: '✓', roles: 'field', load: () => import('../screens/Survey') },
  // The tablet's own conflicts, rejected entries and storage: field roles, the ones that sync.
  { id: 'review', path: '/review', nav: 'nav.review', icon: '⚖', roles: 'field', load: () => import('../screens/Review') },
  { id: 'storage', path: '/storage', nav: 'nav.storage', icon: '⛁', roles: 'field', load: () => import('../screens/Storage') },
  // The supply manager's desk (online); a supervisor reads its stock.
  { id: 'supply', path: '/supply/', nav: 'nav.supplyManager', icon: '▦', roles: ['supply_manager', 'supervisor', 'admin'], home: ['supply_manager'], load: () => import('../screens/supply/Supply') },
  // The dispatch queue (online): calls with their recommendation, assign or decline; where dispatch lands.
  { id: 'dispatch', path: '/dispatch', nav: 'nav.dispatch', icon: '☎', roles: ['dispatcher', 'diversion_clinician', 'supervisor'], home: ['dispatcher', 'diversion_clinician'], load: () => import('../screens/dispatch/Dispatch') },
  // The supervisor's and dispatcher's board (online): backup requests, the map, units; where a supervisor lands.
  { id: 'board', path: '/board', nav: 'board.nav', icon: '◉', roles: ['supervisor', 'dispatcher'], home: ['supervisor'], load: () => import('../screens/Board') },
  // The supervisor's debrief queue and flagged field logs (online).
  { id: 'debriefs', path: '/debriefs/', nav: 'debrief.nav', icon: '☏', roles: ['supervisor'], load: () => import('../screens/Debriefs') },
  // The care navigator's desk (online): follow-ups due, referrals and their status, resource search; supervisors and the program lead read it.
  { id: 'care', path: '/care/', nav: 'nav.careNav', icon: '☂', roles: ['care_navigator', 'supervisor', 'program_lead'], home: ['care_navigator'], load: () => import('../screens/care/Care') },
  // The program lead's indicators dashboard (online); supervisors read it too. Where a program lead lands.
  { id: 'indicators', path: '/indicators', nav: 'nav.program', icon: '▤', roles: ['program_lead', 'supervisor'], home: ['program_lead'], load: () => import('../screens/indicators/Indicators') },
  // Shifts and crews (online): a supervisor builds them, the server's crew rules refuse a bad crew.
  { id: 'rosters', path: '/rosters', nav: 'nav.rosters', icon: '☰', roles: ['supervisor', 'admin'], load: () => import('../screens/admin/Rosters') },
  // The administration desk (online): people, unmapped CAD call types, the disposition list; where an admin lands.
  { id: 'admin', path: '/admin/', nav: 'nav.admin', icon: '⚑', roles: ['admin'], home: ['admin'], load: () => import('../screens/admin/Admin') },
  { id: 'settings', path: '/settings', nav: 'nav.settings', icon: '⚙', roles: 'all', load: () => import('../screens/Settings') },
];

export function screenFor(path: string, role: Role): ScreenDef | null {
  const s = SCREENS.find((x) => (x.path.endsWith('/') ? path.startsWith(x.path) : path === x.path));
  return s && allowed(s.roles, role) ? s : null;
}

/** The field roles' home screen module (a tablet's unlocks are a crew's), loaded while the unlock form waits. */
export function preloadFieldHome(): void {
  const role = FIELD_ROLES[0]!;
  screenFor(homePath(role), role)
    ?.load()
    .catch(() => undefined); // the screen loads (or reports) it again when shown
}

export function homePath(role: Role): string {
  if (isField(role)) return '/calls';
  const home = SCREENS.find((s) => s.home?.includes(role));
  if (home) return home.path;
  return '/settings';
}

const shellActions: ComponentType[] = [];
export function registerShellAction(c: ComponentType): void {
  shellActions.push(c);
}
export function getShellActions(): readonly ComponentType[] {
  return shellActions;
}
