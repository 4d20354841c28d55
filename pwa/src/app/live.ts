/**
 * The signed-in tablet's live stream: openStream with this sign-in's token, resuming after a
 * reload from the last event id kept in the local store.
 */
import type { ApiClient, FetchFn } from '../api/client';
import { getMeta, setMeta } from '../db';
import { openStream, type LiveEvent, type LiveState } from '../lib/stream';

export async function openLiveStream(
  api: ApiClient,
  onEvent: (e: LiveEvent) => void,
  onState?: (s: LiveState) => void,
  fetchFn?: FetchFn,
): Promise<{ close(): void }> {
  const lastEventId = await getMeta<number>('stream_last_event_id');
  return openStream({
    token: async () => api.accessToken(),
    refresh: (stale) => api.freshAccess(stale),
    lastEventId,
    onState,
    fetchFn,
    onEvent: (e) => {
      if (e.id > 0) void setMeta('stream_last_event_id', e.id);
      onEvent(e);
    },
  });
}
