/**
 * The disposition list as a crew chooses from it: the active entries in the list's order, the
 * entry a call already holds even when it was retired since, and its label in the tablet's
 * language. Pure: the list comes from the server (GET /dispositions), cached on the tablet.
 */
import type { Lang } from '../app/settings';

export interface DispositionEntry {
  id: number;
  code: string;
  label_en: string;
  label_es: string;
  active: boolean;
  sort_order: number;
}

/**
 * What the tablet keeps of an entry of the list: its code, labels and place, nothing else the
 * answer carries (its times would sit in clear in the store, which holds no time unencrypted).
 */
export function keptEntry(d: DispositionEntry): DispositionEntry {
  return { id: d.id, code: d.code, label_en: d.label_en, label_es: d.label_es, active: d.active, sort_order: d.sort_order };
}

const inOrder = (a: DispositionEntry, b: DispositionEntry) => a.sort_order - b.sort_order || a.code.localeCompare(b.code);

/**
 * What the select offers: the active entries in order, then the call's own code when the list no
 * longer offers it (retired, or a list older than the server's), so the crew sees what it holds.
 */
export function offered(list: readonly DispositionEntry[], current: string | null): DispositionEntry[] {
  const shown = list.filter((d) => d.active).sort(inOrder);
  if (current && !shown.some((d) => d.code === current)) {
    const known = list.find((d) => d.code === current);
    shown.push(known ?? { id: 0, code: current, label_en: current, label_es: current, active: false, sort_order: 0 });
  }
  return shown;
}

/** The entry's label in the language (a code the list does not hold is shown as it is). */
export function dispositionLabel(list: readonly DispositionEntry[], code: string, lang: Lang): string {
  const found = list.find((d) => d.code === code);
  if (!found) return code;
  return lang === 'es' ? found.label_es : found.label_en;
}

/** The edit a save sends: only what changed from the call's values (the code null when cleared). */
export function dispositionEdit(
  saved: { code: string | null; text: string },
  chosen: { code: string; text: string },
): { disposition_code?: string | null; disposition?: string } {
  const edit: { disposition_code?: string | null; disposition?: string } = {};
  const code = chosen.code || null;
  if (code !== saved.code) edit.disposition_code = code;
  const text = chosen.text.trim();
  if (text !== saved.text) edit.disposition = text;
  return edit;
}
