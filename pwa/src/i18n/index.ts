/** The one translation table. Components call t('key', {params}); no literal text in components. */
import { en, type Key } from './en';
import { es } from './es';
import { getSettings, useSettings, type Lang } from '../app/settings';

export type { Key };
export const TABLES: Record<Lang, Record<Key, string>> = { en, es };

export type Params = Record<string, string | number>;

export function translate(lang: Lang, key: Key, params?: Params): string {
  const text = TABLES[lang][key] ?? en[key];
  return params ? text.replace(/\{(\w+)\}/g, (m, p: string) => (p in params ? String(params[p]) : m)) : text;
}

export type T = (key: Key, params?: Params) => string;

/** Translator for the current language; re-renders on language change. */
export function useT(): T {
  const { lang } = useSettings();
  return (key, params) => translate(lang, key, params);
}

export function t(key: Key, params?: Params): string {
  return translate(getSettings().lang, key, params);
}

/** Local time (hh:mm) in the current language. */
// Building an Intl formatter is costly (toLocaleString builds one per call): one per language
// and style, made on first use, keeps a list of a thousand calls quick to draw.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(lang: Lang, style: 'time' | 'datetime'): Intl.DateTimeFormat {
  const key = `${lang}:${style}`;
  let found = formatters.get(key);
  if (!found) {
    const options: Intl.DateTimeFormatOptions =
      style === 'time' ? { hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
    found = new Intl.DateTimeFormat(lang === 'es' ? 'es-US' : 'en-US', options);
    formatters.set(key, found);
  }
  return found;
}

/** Builds the language's formatters ahead of a list (the first one made costs tens of milliseconds: the locale's data loads). */
export function prepareFormats(lang: Lang = getSettings().lang): void {
  formatter(lang, 'time');
  formatter(lang, 'datetime');
}

function format(iso: string | number | null | undefined, lang: Lang, style: 'time' | 'datetime'): string {
  if (iso === null || iso === undefined || iso === '') return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return formatter(lang, style).format(d);
}

export function formatTime(iso: string | number | null | undefined, lang: Lang = getSettings().lang): string {
  return format(iso, lang, 'time');
}

export function formatDateTime(iso: string | number | null | undefined, lang: Lang = getSettings().lang): string {
  return format(iso, lang, 'datetime');
}
