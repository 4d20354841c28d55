/// <reference lib="webworker" />
/**
 * The service worker does five things only: precache the app shell, clean up outdated caches,
 * answer navigations with index.html (the app opens with no network), relay update and
 * Background Sync messages, and show Web Push alerts (src/swPush.ts). It never calls
 * skipWaiting by itself: the page decides (empty outbox or the person's consent), see
 * src/app/swBridge.ts.
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { installPushHandlers } from './swPush';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<string | { url: string; revision: string | null }> };

const BG_SYNC_TAG = 'heart-sync';

installPushHandlers(self);

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html'), { denylist: [/^\/api\//, /^\/swagger/] }));

self.addEventListener('message', (event: ExtendableMessageEvent) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

interface SyncEvent extends ExtendableEvent {
  tag: string;
}

/** Background Sync: wake the open pages and ask them to sync (the page holds the key and the lock). */
self.addEventListener('sync' as keyof ServiceWorkerGlobalScopeEventMap, ((event: SyncEvent) => {
  if (event.tag !== BG_SYNC_TAG) return;
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((clients) => {
      for (const c of clients) c.postMessage({ type: 'SYNC' });
    }),
  );
}) as EventListener);
