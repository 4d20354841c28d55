import { describe, expect, it } from 'vitest';

// Every .tsx component's source, as text (Vite's glob import).
const sources = import.meta.glob('../src/**/*.tsx', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

describe('no literal text in components', () => {
  it('finds the components', () => {
    expect(Object.keys(sources).length).toBeGreaterThan(8);
  });

  it('JSX text and user-facing attributes come from the translation table', () => {
    const offenders: string[] = [];
    for (const [file, src] of Object.entries(sources)) {
      // text between tags: >Some words<
      // JSX text: between a tag's end and the next tag, with no code characters in it
      for (const m of src.matchAll(/>([^<>{}();=[\]&|?:]*[A-Za-zÁÉÍÓÚáéíóúñÑ]{2,}[^<>{}();=[\]&|?:]*)</g)) {
        offenders.push(`${file}: ${m[1]!.trim()}`);
      }
      for (const m of src.matchAll(/\b(placeholder|aria-label|title|alt)="([^"]+)"/g)) offenders.push(`${file}: ${m[1]}="${m[2]}"`);
    }
    expect(offenders).toEqual([]);
  });
});
