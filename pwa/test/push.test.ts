import { describe, expect, it } from 'vitest';
import { ApiClient } from '../src/api/client';
import { disablePush, enablePush, pushState, type PushEnv } from '../src/lib/push';
import { fakeFetch, staticTokens } from './helpers';

/** A browser with web push: its permission (and the answer it gives when asked) and one subscription slot. */
function browser(permission: NotificationPermission, answer: NotificationPermission = permission) {
  let subscription: { endpoint: string; unsubscribe: () => Promise<boolean> } | null = null;
  const notification = {
    permission,
    requestPermission: async () => (notification.permission = answer),
  };
  const pushManager = {
    getSubscription: async () => subscription,
    subscribe: async () => {
      subscription = { endpoint: 'https://push.test/1', unsubscribe: async () => ((subscription = null), true) };
      return { toJSON: () => ({ endpoint: 'https://push.test/1', keys: { p256dh: 'p', auth: 'a' } }) };
    },
  };
  const env = { notification, registration: () => Promise.resolve({ pushManager }) } as unknown as PushEnv;
  return { env, notification };
}

const server = (keyStatus = 200) =>
  fakeFetch((r) => (r.path === '/api/v1/push/key' ? [keyStatus, { public_key: 'AQAB' }] : r.method === 'DELETE' ? [204, null] : [200, { id: 1 }]));

describe('"Alerts on this device"', () => {
  it('says not supported without web push, blocked when the browser refused, off before it is asked', async () => {
    expect(await pushState({ notification: null, registration: () => null })).toBe('unsupported');
    expect(await pushState(browser('denied').env)).toBe('blocked');
    expect(await pushState(browser('default').env)).toBe('off');
    expect(await pushState(browser('granted').env)).toBe('off');
  });

  it('turning it on asks the permission, subscribes with the server key and hands the subscription over', async () => {
    const { env, notification } = browser('default', 'granted');
    const { fetch, requests } = server();
    expect(await enablePush(new ApiClient(fetch, staticTokens), env)).toBe('on');
    expect(notification.permission).toBe('granted');
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/v1/push/key', 'PUT /api/v1/push/subscription']);
    expect(requests[1]!.body).toMatchObject({ endpoint: 'https://push.test/1' });
  });

  it('a refusal when asked is blocked, and nothing is sent', async () => {
    const { fetch, requests } = server();
    expect(await enablePush(new ApiClient(fetch, staticTokens), browser('default', 'denied').env)).toBe('blocked');
    expect(requests).toEqual([]);
  });

  it('allowed, but web push is off on the server: still off', async () => {
    const { fetch } = server(404);
    expect(await enablePush(new ApiClient(fetch, staticTokens), browser('granted').env)).toBe('off');
  });

  it('turning it off drops the subscription here and on the server', async () => {
    const { env } = browser('granted');
    const { fetch, requests } = server();
    const api = new ApiClient(fetch, staticTokens);
    expect(await enablePush(api, env)).toBe('on');
    expect(await disablePush(api, env)).toBe('off');
    expect(requests.at(-1)).toMatchObject({ method: 'DELETE', path: '/api/v1/push/subscription' });
  });

  it('turning it off offline still drops the subscription here', async () => {
    const { env } = browser('granted');
    const on = server();
    expect(await enablePush(new ApiClient(on.fetch, staticTokens), env)).toBe('on');
    const down = fakeFetch(() => {
      throw new TypeError('Failed to fetch');
    });
    expect(await disablePush(new ApiClient(down.fetch, staticTokens), env)).toBe('off');
  });
});
