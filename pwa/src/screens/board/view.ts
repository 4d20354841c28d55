/** Pure helpers of the board: a request's age in words, whether it went out to everyone, a unit's status. */
import type { BackupRequest } from '../../api/board';

/** "45 s", "3 min", "2 h 5 min" since `iso`. */
export function ageText(iso: string | null | undefined, now: number): string {
  const at = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(at)) return '—';
  const s = Math.max(0, Math.floor((now - at) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A request broadcast to every unit and not yet answered: the banner stays while one is. */
export function isBroadcast(r: BackupRequest): boolean {
  return r.state === 'open' && (r.tier_name === 'broadcast' || Boolean(r.broadcast_at));
}
