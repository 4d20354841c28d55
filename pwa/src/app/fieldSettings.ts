/**
 * The server's field settings (GET /settings/field) as last heard, kept in localStorage so a
 * tablet started offline records its position and times its check-ins by them.
 */
import type { FieldSettings } from '../api/types';

const FIELD_SETTINGS_KEY = 'heart.fieldSettings';

/** The settings as last heard, or null before the first answer (the callers' defaults apply). */
export function cachedFieldSettings(): FieldSettings | null {
  try {
    const raw = globalThis.localStorage?.getItem(FIELD_SETTINGS_KEY);
    return raw ? (JSON.parse(raw) as FieldSettings) : null;
  } catch {
    return null;
  }
}

export function keepFieldSettings(wire: FieldSettings): void {
  try {
    globalThis.localStorage?.setItem(FIELD_SETTINGS_KEY, JSON.stringify(wire));
  } catch {
    /* private mode: the next start asks again */
  }
}
