/**
 * Web Push on this device: once the person has allowed notifications, subscribe with the
 * server's key and hand the subscription to the server (it replaces the device's last one).
 */
import type { ApiClient } from '../api/client';

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64url.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(new ArrayBuffer(text.length));
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Quietly does nothing without permission, a service worker, or web push on the server. */
export async function subscribeToPush(api: ApiClient | null): Promise<void> {
  if (!api || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  if (!('serviceWorker' in navigator)) return;
  try {
    const registration = await navigator.serviceWorker.ready;
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
