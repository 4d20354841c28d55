/// <reference lib="webworker" />
/**
 * Web Push in the service worker: an alert from the server becomes a system notification
 * (an urgent one stays up and rings again), and tapping it brings the app forward.
 */

interface PushMessage {
  type: string;
  title: string;
  body: string;
  url: string;
  event_id: number;
  urgent: boolean;
  subject?: string | null;
}

export function installPushHandlers(scope: ServiceWorkerGlobalScope): void {
  scope.addEventListener('push', (event: PushEvent) => {
    const message = event.data?.json() as PushMessage | undefined;
    if (!message) return;
    const tag = message.subject ?? message.type;
    event.waitUntil(
      scope.registration.showNotification(message.title, {
        body: message.body,
        tag,
        requireInteraction: message.urgent,
        renotify: message.urgent,
        data: { url: message.url },
      } as NotificationOptions),
    );
  });

  scope.addEventListener('notificationclick', (event: NotificationEvent) => {
    event.notification.close();
    const url = (event.notification.data as { url?: string } | null)?.url ?? '/';
    event.waitUntil(
      scope.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
        const open = windows[0];
        return open ? open.focus().then(() => undefined) : scope.clients.openWindow(url).then(() => undefined);
      }),
    );
  });
}
