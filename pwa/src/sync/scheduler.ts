/**
 * When to sync: the `online` event, a timer, Background Sync (the service worker asks), and the
 * "Sync now" button. Single flight across tabs through the Web Locks API ('heart-sync'), so two
 * tabs never push the same outbox twice. Failures back off with full jitter.
 */
import { AuthError, HttpError, NetworkError, type ApiClient } from '../api/client';
import type { Revocation } from '../api/types';
import { backoffDelay } from '../lib/backoff';
import { sendQueued } from '../lib/backups';
import { pullSnapshot, pushOutbox, syncOnce, StuckError, type SyncReport } from './engine';
import { patchSyncState, type SyncProblem } from './status';

export const SYNC_LOCK = 'heart-sync';

/** How a "Rebuild from server" ended; anything but 'done' left the tablet's copy as it was. */
export type RebuildOutcome = 'done' | 'offline' | 'signin' | 'failed';
/** A quiet sync every minute while the app is open and unlocked. */
export const SYNC_INTERVAL_MS = 60_000;

export interface SchedulerDeps {
  api: () => ApiClient | null;
  key: () => CryptoKey | null;
  /** The device was revoked: wipe it, saying why (lost: at once; retired: once it has sent all). */
  onWipe: (revocation: Revocation) => Promise<void>;
  /** Whether the person unlocked now takes part in field sync (office roles do not: the server refuses them). */
  syncs?: () => boolean;
  locks?: LockManager | null;
  random?: () => number;
}

export function classify(e: unknown): SyncProblem | 'wipe' | 'retire' {
  if (e instanceof NetworkError) return 'offline';
  if (e instanceof AuthError) return e.action === 'wipe' || e.action === 'retire' ? e.action : 'signin';
  if (e instanceof StuckError) return 'stuck';
  if (e instanceof HttpError) return 'server';
  return 'server';
}

export class SyncScheduler {
  private running = false;
  private again = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private interval: ReturnType<typeof setInterval> | null = null;
  private onOnline = () => void this.syncNow();

  constructor(private deps: SchedulerDeps) {}

  start(): void {
    if (typeof window !== 'undefined') window.addEventListener('online', this.onOnline);
    this.interval = setInterval(() => void this.syncNow(), SYNC_INTERVAL_MS);
  }

  stop(): void {
    if (typeof window !== 'undefined') window.removeEventListener('online', this.onOnline);
    if (this.interval) clearInterval(this.interval);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.interval = this.retryTimer = null;
  }

  /**
   * Runs one pass. Within a tab a second call while one runs (or waits) is dropped; across tabs
   * passes queue on the 'heart-sync' lock, so they never overlap: ops acknowledged by one tab's
   * pass have left the outbox before the next tab reads it.
   */
  async syncNow(): Promise<SyncReport | null> {
    if (this.running) {
      // Something new (a capture) while a pass runs: one more pass when it ends.
      this.again = true;
      return null;
    }
    this.running = true;
    try {
      const locks = this.deps.locks === undefined ? (globalThis.navigator?.locks ?? null) : this.deps.locks;
      if (!locks) return await this.run();
      return await locks.request(SYNC_LOCK, () => this.run());
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        void this.syncNow();
      }
    }
  }

  /**
   * "Rebuild from server": a fresh snapshot replaces the tablet's copy once it has arrived whole,
   * on the same lock as sync passes. Refused with no signal; a link cut halfway changes nothing.
   */
  async rebuildNow(): Promise<RebuildOutcome> {
    if (globalThis.navigator?.onLine === false) return 'offline';
    const key = this.deps.key();
    const api = key ? this.deps.api() : null;
    if (!key || !api) return 'signin';
    const rebuild = async (): Promise<RebuildOutcome> => {
      try {
        await pullSnapshot({ api, key, onProgress: (p) => patchSyncState({ phase: p.phase, done: p.done, total: p.total }) });
        return 'done';
      } catch (e) {
        const problem = classify(e);
        if (problem === 'wipe') {
          await this.deps.onWipe('lost');
          return 'failed';
        }
        if (problem === 'retire') {
          await this.retire(api, key);
          return 'failed';
        }
        return problem === 'offline' ? 'offline' : problem === 'signin' ? 'signin' : 'failed';
      } finally {
        patchSyncState({ phase: null });
      }
    };
    const locks = this.deps.locks === undefined ? (globalThis.navigator?.locks ?? null) : this.deps.locks;
    return locks ? locks.request(SYNC_LOCK, rebuild) : rebuild();
  }

  private async run(): Promise<SyncReport | null> {
    const key = this.deps.key();
    const api = key ? this.deps.api() : null;
    if (!key || !api) {
      // Locked: nothing can be opened or sealed. Unlocked without tokens: sign in online to send.
      patchSyncState({ problem: key ? 'signin' : 'locked' });
      return null;
    }
    if (this.deps.syncs && !this.deps.syncs()) {
      patchSyncState({ problem: null });
      return null;
    }
    if (this.retryTimer) clearTimeout(this.retryTimer);
    patchSyncState({ running: true, phase: 'push', done: 0, total: null, nextRetryAt: null });
    try {
      // Backup requests and check-in answers go first, on their own endpoints, ahead of older queued work.
      await sendQueued(api);
      const report = await syncOnce({
        api,
        key,
        onProgress: (p) => patchSyncState({ phase: p.phase, done: p.done, total: p.total }),
      });
      this.attempt = 0;
      patchSyncState({ running: false, phase: null, problem: null, lastSuccessAt: Date.now() });
      return report;
    } catch (e) {
      const problem = classify(e);
      if (problem === 'wipe') {
        patchSyncState({ running: false, phase: null, problem: null });
        await this.deps.onWipe('lost');
        return null;
      }
      if (problem === 'retire') {
        await this.retire(api, key);
        return null;
      }
      patchSyncState({ running: false, phase: null, problem });
      // A sign-in problem waits for the person; everything else retries with backoff.
      if (problem !== 'signin') this.scheduleRetry(e instanceof HttpError && e.retryAfterS ? e.retryAfterS * 1000 : 0);
      return null;
    }
  }

  /**
   * A retired tablet sends everything it holds (the server takes pushes only), then wipes. With no
   * signal or a server error it keeps its outbox and tries again later; once the server takes
   * nothing more from it (its sign-in ended, revoked as lost) it wipes with what is left counted.
   */
  private async retire(api: ApiClient, key: CryptoKey): Promise<void> {
    patchSyncState({ running: true, phase: 'push', done: 0, total: null, nextRetryAt: null });
    try {
      await pushOutbox({ api, key, onProgress: (p) => patchSyncState({ phase: p.phase, done: p.done, total: p.total }) });
    } catch (e) {
      const problem = classify(e);
      if (problem === 'offline' || problem === 'server') {
        patchSyncState({ running: false, phase: null, problem });
        this.scheduleRetry(e instanceof HttpError && e.retryAfterS ? e.retryAfterS * 1000 : 0);
        return;
      }
      if (problem === 'wipe') {
        patchSyncState({ running: false, phase: null, problem: null });
        await this.deps.onWipe('lost');
        return;
      }
    }
    patchSyncState({ running: false, phase: null, problem: null });
    await this.deps.onWipe('retired');
  }

  /** Next try after a full-jitter delay, and never before the server's Retry-After (429). */
  private scheduleRetry(atLeastMs: number): void {
    const delay = Math.max(atLeastMs, backoffDelay(this.attempt++, this.deps.random));
    patchSyncState({ nextRetryAt: Date.now() + delay });
    this.retryTimer = setTimeout(() => void this.syncNow(), delay);
  }
}
