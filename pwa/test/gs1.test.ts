import { describe, expect, it } from 'vitest';
import { gs1Date, gtinCheckDigit, isValidGtin, parseGs1 } from '../src/lib/gs1';
import shared from '../../tests/fixtures/gs1_cases.json';

interface Case {
  name: string;
  input: string;
  gtin: string | null;
  lot_number: string | null;
  expires_on: string | null;
  serial: string | null;
  error?: string;
}

/** The fixture's dates sit in 2025-2028: read them as a scanner in 2026 would. */
const TODAY = new Date(Date.UTC(2026, 0, 15));

describe('GS1 scans shared with the server parser', () => {
  const cases = (shared as { cases: Case[] }).cases;

  it('has the shared cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = parseGs1(c.input, TODAY);
    if (c.error) {
      expect(result).toEqual({ ok: false, error: c.error });
      return;
    }
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { gtin, lotNumber, expiresOn, serial } = result.value;
    expect({ gtin, lot_number: lotNumber, expires_on: expiresOn, serial }).toEqual({
      gtin: c.gtin,
      lot_number: c.lot_number,
      expires_on: c.expires_on,
      serial: c.serial,
    });
  });
});

describe('GS1 parser beyond the shared cases', () => {
  it('reads a bare EAN-13 from a linear barcode as a zero-padded GTIN-14', () => {
    expect(parseGs1('9506000134352', TODAY)).toMatchObject({ ok: true, value: { gtin: '09506000134352', lotNumber: null } });
  });

  it('refuses a bare EAN-13 whose check digit is wrong', () => {
    expect(parseGs1('9506000134353', TODAY)).toEqual({ ok: false, error: 'check_digit' });
  });

  it('keeps AIs it does not use, by AI', () => {
    const r = parseGs1('(01)09506000134352(240)NARCAN-4MG(30)12', TODAY);
    expect(r.ok && r.value.other).toEqual({ '240': 'NARCAN-4MG', '30': '12' });
  });

  it('refuses a lot longer than GS1 allows', () => {
    expect(parseGs1(`(01)09506000134352(10)${'A'.repeat(21)}`, TODAY)).toEqual({ ok: false, error: 'unreadable' });
  });

  it('reads a Digital Link with a GTIN-13 in the path and an encoded lot', () => {
    const r = parseGs1('https://example.com/01/9506000134352/10/A%2FB?17=260300', TODAY);
    expect(r).toMatchObject({ ok: true, value: { gtin: '09506000134352', lotNumber: 'A/B', expiresOn: '2026-03-31' } });
  });

  it('refuses a Digital Link whose last AI has no value', () => {
    expect(parseGs1('https://id.gs1.org/01/09506000134352/10', TODAY)).toEqual({ ok: false, error: 'unreadable' });
  });

  it('computes the GTIN check digit with weights 3,1,3 from the right', () => {
    expect(gtinCheckDigit('0950600013435')).toBe(2);
    expect(gtinCheckDigit('1950600013435')).toBe(9);
    expect(isValidGtin('09506000134352')).toBe(true);
    expect(isValidGtin('0950600013435')).toBe(false);
  });

  it('places two-digit years in the GS1 sliding window around today', () => {
    expect(gs1Date('760101', TODAY)).toBe('2076-01-01');
    expect(gs1Date('770101', TODAY)).toBe('1977-01-01');
    expect(gs1Date('990101', new Date(Date.UTC(2060, 0, 1)))).toBe('2099-01-01');
    expect(gs1Date('100101', new Date(Date.UTC(2060, 0, 1)))).toBe('2110-01-01');
  });

  it('refuses dates that do not exist', () => {
    expect(gs1Date('250229', TODAY)).toBeNull();
    expect(gs1Date('250001', TODAY)).toBeNull();
    expect(gs1Date('2501', TODAY)).toBeNull();
  });
});
