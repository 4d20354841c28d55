import { describe, expect, it } from 'vitest';
import { formatDateTime, formatTime } from '../src/i18n';

const when = '2026-11-25T14:05:00Z';

describe('time formats', () => {
  it('match what the browser writes for each language, from a reused formatter', () => {
    expect(formatTime(when, 'en')).toBe(new Date(when).toLocaleTimeString('en-US', { hour: '2-digit', minute: '2-digit' }));
    expect(formatDateTime(when, 'es')).toBe(
      new Date(when).toLocaleString('es-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }),
    );
    expect(formatDateTime(when, 'en')).not.toBe(formatDateTime(when, 'es'));
  });

  it('leave empty and unreadable values readable', () => {
    expect(formatTime(null, 'en')).toBe('');
    expect(formatDateTime('not a time', 'en')).toBe('not a time');
  });
});
