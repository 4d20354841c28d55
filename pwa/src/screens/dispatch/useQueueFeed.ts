/**
 * Keeps the queue current: the live stream's call events read it again (once per burst), and a
 * read every POLL_MS catches what a cut in the stream lost. Answers the stream's state.
 */
import { useEffect, useState } from 'preact/hooks';
import { openLiveStream } from '../../app/live';
import type { LiveState } from '../../lib/stream';
import { api } from '../supply/common';
import { debounce, isQueueEvent, POLL_MS, REFETCH_DEBOUNCE_MS } from './view';

export function useQueueFeed(refresh: () => void): LiveState {
  const [live, setLive] = useState<LiveState>('connecting');

  useEffect(() => {
    const soon = debounce(refresh, REFETCH_DEBOUNCE_MS);
    let stream: { close(): void } | null = null;
    let gone = false;
    void openLiveStream(
      api(),
      (e) => {
        if (isQueueEvent(e.type)) soon.call();
      },
      setLive,
    ).then((s) => {
      if (gone) s.close();
      else stream = s;
    });
    const poll = setInterval(refresh, POLL_MS);
    return () => {
      gone = true;
      soon.cancel();
      clearInterval(poll);
      stream?.close();
    };
  }, []);

  return live;
}
