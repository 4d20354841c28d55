/**
 * What the screens themselves need from the navigation: their props and who counts as a field role. Kept apart from the screen registry (app/screens.ts), which
 * imports every screen, so that no screen imports the registry back.
 */
import { FIELD_ROLES, type Role } from '../api/types';

export interface ScreenProps {
  /** Path parameters after the screen's prefix (e.g. the call id). */
  param: string;
}

/** Who sees a screen or area: 'field' roles, 'all', or a list. */
export type Audience = 'field' | 'all' | readonly Role[];

export function isField(role: Role): boolean {
  return FIELD_ROLES.includes(role);
}

export function allowed(roles: Audience, role: Role): boolean {
  if (roles === 'all') return true;
  if (roles === 'field') return isField(role);
  return roles.includes(role);
}
