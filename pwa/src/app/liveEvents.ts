/**
 * One live stream for the field screens: the backup panel, the alert banner, the broadcast and
 * the check-in prompt each listen here, and the stream is open while any of them is. It opens
 * with the sign-in of the moment and is reopened when the sign-in changes.
 */
import { onSessionChange } from '../crypto/session';
import type { LiveEvent } from '../lib/stream';
import { sessionApi } from './auth';
import { openLiveStream } from './live';

type Listener = (e: LiveEvent) => void;

const listeners = new Set<Listener>();
let stream: Promise<{ close(): void }> | null = null;
let stopWatching: (() => void) | null = null;

function open(): void {
  const api = sessionApi();
  if (!api || stream) return;
  stream = openLiveStream(api, (e) => {
    for (const l of listeners) l(e);
  });
}

function close(): void {
  void stream?.then((s) => s.close());
  stream = null;
}

/** Hears every live event until the returned function is called. */
export function listenLive(listener: Listener): () => void {
  listeners.add(listener);
  if (!stopWatching)
    stopWatching = onSessionChange(() => {
      close();
      open();
    });
  open();
  return () => {
    listeners.delete(listener);
    if (listeners.size) return;
    close();
    stopWatching?.();
    stopWatching = null;
  };
}
