/**
 * Web Push on this device: once the person has allowed notifications, subscribe with the
 * server's key and hand the subscription to the server (it replaces the device's last one).
 * "Alerts on this device" in the settings turns it on (asking the browser's permission) and off.
 */
import type { ApiClient } from '../api/client';

/** What the settings say of alerts here: the browser's permission and this device's subscription. */
export type PushState = 'on' | 'off' | 'blocked' | 'unsupported';

/** The browser parts web push needs (the real ones by default; tests hand in their own). */
export interface PushEnv {
  notification: Pick<typeof Notification, 'permission' | 'requestPermission'> | null;
  registration: () => Promise<Pick<ServiceWorkerRegistration, 'pushManager'>> | null;
}

export function browserPushEnv(): PushEnv {
  const supported = typeof Notification !== 'undefined' && 'serviceWorker' in navigator && typeof PushManager !== 'undefined';
  return {
    notification: supported ? Notification : null,
    registration: () => (supported ? navigator.serviceWorker.ready : null),
  };
}

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64url.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(new ArrayBuffer(text.length));
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Quietly does nothing without permission, a service worker, or web push on the server. */
export async function subscribeToPush(api: ApiClient | null, env: PushEnv = browserPushEnv()): Promise<void> {
  const ready = env.registration();
  if (!api || !ready || env.notification?.permission !== 'granted') return;
  try {
    const registration = await ready;
    const { public_key } = await api.pushKey();
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(public_key),
    });
    await api.savePushSubscription(subscription.toJSON());
  } catch {
    // Offline, refused or off on the server: the live stream still carries every alert.
  }
}

/** On only with the permission given and a subscription held; blocked when the browser refused. */
export async function pushState(env: PushEnv = browserPushEnv()): Promise<PushState> {
  const ready = env.registration();
  if (!env.notification || !ready) return 'unsupported';
  if (env.notification.permission === 'denied') return 'blocked';
  if (env.notification.permission !== 'granted') return 'off';
  const subscription = await (await ready).pushManager.getSubscription();
  return subscription ? 'on' : 'off';
}

/** Turns alerts on: asks the browser's permission (once it is asked, the browser remembers), then subscribes. */
export async function enablePush(api: ApiClient | null, env: PushEnv = browserPushEnv()): Promise<PushState> {
  if (!env.notification || !env.registration()) return 'unsupported';
  if (env.notification.permission === 'default') await env.notification.requestPermission();
  await subscribeToPush(api, env);
  return pushState(env);
}

/** Turns alerts off: the browser drops the subscription and the server forgets it (offline: its next push is refused and it forgets then). */
export async function disablePush(api: ApiClient | null, env: PushEnv = browserPushEnv()): Promise<PushState> {
  const ready = env.registration();
  if (!ready) return 'unsupported';
  const subscription = await (await ready).pushManager.getSubscription();
  await subscription?.unsubscribe();
  await api?.removePushSubscription().catch(() => undefined);
  return pushState(env);
}
