/** The field facts the app reads come from the server's kinds (src/api/fields.ts, generated). */
import { describe, expect, it } from 'vitest';
import { CALL_EDITABLE, CALL_LIFECYCLE, FACT_KINDS, PUSHED_KINDS, RECORD_KIND_NAMES, clinicalFields, editableFields, maxLength } from '../src/api/facts';
import { KINDS } from '../src/db/kinds';
import { NOTE_MAX_CHARS } from '../src/db/capture';
import { LIFECYCLE } from '../src/lib/lifecycle';

describe('field facts', () => {
  it('keeps no clinical field of any synced kind in clear', () => {
    for (const kind of RECORD_KIND_NAMES) {
      const clinical: readonly string[] = clinicalFields(kind);
      expect(KINDS[kind].clear.filter((f) => clinical.includes(f)), kind).toEqual([]);
    }
    expect(clinicalFields('call')).toEqual(expect.arrayContaining(['narrative', 'disposition', 'transport_destination']));
  });

  it('has a local table for every kind the server syncs, the facts among the pushed ones', () => {
    for (const kind of RECORD_KIND_NAMES) expect(KINDS[kind]?.table, kind).toBeTruthy();
    expect(FACT_KINDS.every((k) => (PUSHED_KINDS as readonly string[]).includes(k))).toBe(true);
  });

  it('reads the lifecycle, editable fields and lengths from the generated kinds', () => {
    expect(LIFECYCLE).toBe(CALL_LIFECYCLE);
    expect(CALL_EDITABLE).toEqual(editableFields('call'));
    expect(NOTE_MAX_CHARS).toBe(maxLength('call_note', 'body'));
    expect(maxLength('call', 'disposition')).toBeGreaterThan(0);
  });
});
