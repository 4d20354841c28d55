/**
 * GS1 scan parser: reads what a barcode scanner types into a field (element strings with parentheses, raw strings
 * with GS separators and the symbology prefixes scanners send, GS1 Digital Link URLs, bare GTINs) into the four
 * things a supply screen needs: GTIN, lot, expiry and serial. It only reads; the server validates the receipt.
 *
 * Written here rather than taken from npm: the parsers there ship no types, return expiry as a local-time Date
 * (day 00 and time zones get it wrong), skip the GTIN check digit, or pull a grammar engine for Digital Link.
 */

/** Group separator (FNC1 inside a raw string): ends a variable-length field. */
export const GS = '\u001d';

/** Symbology identifiers a scanner may put in front: GS1-128, GS1 DataMatrix, GS1 QR, GS1 DataBar, EAN/UPC. */
const SYMBOLOGY_PREFIX = /^\](C1|d2|Q3|e0|E0|E3|E4)/;

/** Longest lot (AI 10) and serial (AI 21) the GS1 General Specifications allow. */
const MAX_LOT_OR_SERIAL = 20;
/** Longest value of any other variable-length AI (AI 8110 coupon codes). */
const MAX_VARIABLE_VALUE = 70;

/** Whole-element lengths (AI + value) of the AIs whose length GS1 predefines by their first two digits. */
const PREDEFINED_LENGTH: Record<string, number> = {
  '00': 20, '01': 16, '02': 16, '03': 16, '04': 18,
  '11': 8, '12': 8, '13': 8, '14': 8, '15': 8, '16': 8, '17': 8, '18': 8, '19': 8,
  '20': 4, '31': 10, '32': 10, '33': 10, '34': 10, '35': 10, '36': 10, '41': 16,
};

/** Lengths GS1 gives a bare GTIN (GTIN-8, UPC-A, EAN-13, GTIN-14), before zero-padding to 14. */
const GTIN_LENGTHS = new Set([8, 12, 13, 14]);

export type Gs1Error = 'empty' | 'unreadable' | 'check_digit' | 'bad_date' | 'no_gtin';

export interface Gs1Data {
  gtin: string;
  lotNumber: string | null;
  /** ISO date; GS1 day 00 is the last day of the month. */
  expiresOn: string | null;
  serial: string | null;
  /** Every other AI read, by AI, kept as sent. */
  other: Record<string, string>;
}

export type Gs1Result = { ok: true; value: Gs1Data } | { ok: false; error: Gs1Error };

/** Number of digits in the AI that starts `s` (GS1 General Specifications, AI table), or 0 when none does. */
function aiDigits(s: string): number {
  const p = Number(s.slice(0, 2));
  if (!/^\d\d/.test(s)) return 0;
  if (p <= 22 || p === 30 || p === 37 || p >= 90) return 2;
  if ([23, 24, 25, 40, 41, 42, 71].includes(p)) return 3;
  if ((p >= 31 && p <= 36) || [39, 43, 70, 72, 80, 81, 82].includes(p)) return 4;
  return 0;
}

/** GTIN check digit (mod 10, weights 3,1,3... from the right) of the digits before it. */
export function gtinCheckDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const digit = Number(body[body.length - 1 - i]);
    sum += i % 2 === 0 ? digit * 3 : digit;
  }
  return (10 - (sum % 10)) % 10;
}

export function isValidGtin(gtin: string): boolean {
  return /^\d{14}$/.test(gtin) && gtinCheckDigit(gtin.slice(0, 13)) === Number(gtin[13]);
}

/**
 * GS1 YYMMDD to ISO. The century follows the GS1 sliding window (years up to 50 ahead and 49 back from `today`);
 * day 00 is the last day of the month. Null when no such date exists.
 */
export function gs1Date(yymmdd: string, today: Date = new Date()): string | null {
  if (!/^\d{6}$/.test(yymmdd)) return null;
  const yy = Number(yymmdd.slice(0, 2));
  const month = Number(yymmdd.slice(2, 4));
  const day = Number(yymmdd.slice(4, 6));
  const thisYear = today.getUTCFullYear();
  const century = Math.floor(thisYear / 100) * 100;
  const diff = yy - (thisYear % 100);
  const year = century + yy + (diff >= 51 ? -100 : diff <= -50 ? 100 : 0);
  if (month < 1 || month > 12) return null;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > lastDay) return null;
  const d = day === 0 ? lastDay : day;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

type Pairs = Array<[string, string]> | null;

/** "(01)…(17)…(10)…": each AI in parentheses, its value up to the next one. */
function splitParentheses(s: string): Pairs {
  const pairs: Array<[string, string]> = [];
  const re = /\((\d{2,4})\)([^(]*)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    pairs.push([m[1], m[2].replaceAll(GS, '')]);
    if (re.lastIndex === s.length) return pairs;
  }
  return null;
}

/** Raw element string: predefined-length fields run on, the others end at GS or at the end. */
function splitRaw(s: string): Pairs {
  const pairs: Array<[string, string]> = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === GS) {
      i++;
      continue;
    }
    const rest = s.slice(i);
    const n = aiDigits(rest);
    if (n === 0) return null;
    const ai = rest.slice(0, n);
    const fixed = PREDEFINED_LENGTH[ai.slice(0, 2)];
    if (fixed !== undefined) {
      if (rest.length < fixed) return null;
      pairs.push([ai, rest.slice(n, fixed)]);
      i += fixed;
    } else {
      const end = rest.indexOf(GS);
      const value = end === -1 ? rest.slice(n) : rest.slice(n, end);
      pairs.push([ai, value]);
      i += n + value.length;
    }
  }
  return pairs;
}

/** GS1 Digital Link: /01/<gtin>/10/<lot>/21/<serial>?17=<expiry>; other path words before 01 are ignored. */
function splitDigitalLink(s: string): Pairs {
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return null;
  }
  const parts = url.pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  const start = parts.indexOf('01');
  if (start === -1 || (parts.length - start) % 2 !== 0) return null;
  const pairs: Array<[string, string]> = [];
  for (let i = start; i < parts.length; i += 2) pairs.push([parts[i], parts[i + 1]]);
  for (const [key, value] of url.searchParams) if (/^\d{2,4}$/.test(key)) pairs.push([key, value]);
  const gtin = pairs[0][1];
  // Digital Link allows GTIN-8/12/13 in the path; element strings always carry 14 digits.
  if (/^\d+$/.test(gtin) && GTIN_LENGTHS.has(gtin.length)) pairs[0] = ['01', gtin.padStart(14, '0')];
  return pairs;
}

/** Checks each value against its AI's form and gathers the result. */
function collect(pairs: Array<[string, string]>, today: Date): Gs1Result {
  let gtin: string | null = null;
  let lotNumber: string | null = null;
  let expiresOn: string | null = null;
  let serial: string | null = null;
  const other: Record<string, string> = {};
  for (const [ai, value] of pairs) {
    const fixed = PREDEFINED_LENGTH[ai.slice(0, 2)];
    if (fixed !== undefined && value.length !== fixed - ai.length) return { ok: false, error: 'unreadable' };
    if (fixed !== undefined && !/^\d+$/.test(value)) return { ok: false, error: 'unreadable' };
    if (fixed === undefined && (value.length === 0 || value.length > MAX_VARIABLE_VALUE)) {
      return { ok: false, error: 'unreadable' };
    }
    if ((ai === '10' || ai === '21') && value.length > MAX_LOT_OR_SERIAL) return { ok: false, error: 'unreadable' };
    if (ai === '01') gtin = value;
    else if (ai === '10') lotNumber = value;
    else if (ai === '21') serial = value;
    else if (ai === '17') {
      expiresOn = gs1Date(value, today);
      if (expiresOn === null) return { ok: false, error: 'bad_date' };
    } else other[ai] = value;
  }
  if (gtin === null) {
    // Lot, expiry or serial without the GTIN they belong to is a GS1 code missing its key; anything else is noise.
    return { ok: false, error: lotNumber !== null || expiresOn !== null || serial !== null ? 'no_gtin' : 'unreadable' };
  }
  if (!isValidGtin(gtin)) return { ok: false, error: 'check_digit' };
  return { ok: true, value: { gtin, lotNumber, expiresOn, serial, other } };
}

/** Parses one scan. `today` fixes the century of two-digit years (tests pass it; screens leave it). */
export function parseGs1(input: string, today: Date = new Date()): Gs1Result {
  const s = input.trim().replace(SYMBOLOGY_PREFIX, '');
  if (s === '') return { ok: false, error: 'empty' };
  if (/^https?:\/\//i.test(s)) {
    const pairs = splitDigitalLink(s);
    return pairs ? collect(pairs, today) : { ok: false, error: 'unreadable' };
  }
  if (s.startsWith('(')) {
    const pairs = splitParentheses(s);
    return pairs ? collect(pairs, today) : { ok: false, error: 'unreadable' };
  }
  const pairs = splitRaw(s);
  const parsed = pairs ? collect(pairs, today) : null;
  if (parsed?.ok) return parsed;
  // A linear barcode (EAN-13, UPC-A, GTIN-8/14) carries the GTIN alone, without an AI.
  if (/^\d+$/.test(s) && GTIN_LENGTHS.has(s.length)) return collect([['01', s.padStart(14, '0')]], today);
  return parsed ?? { ok: false, error: 'unreadable' };
}
