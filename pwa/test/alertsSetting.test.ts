import { beforeEach, describe, expect, it, vi } from 'vitest';
import { lock, setFetch, signIn } from '../src/app/auth';
import { updateSettings } from '../src/app/settings';
import { subscribeToPush } from '../src/lib/push';
import { fakeFetch, freshDb } from './helpers';

vi.mock('../src/lib/push', () => ({ subscribeToPush: vi.fn(async () => {}) }));

const login = () =>
  fakeFetch((r) =>
    r.path === '/api/v1/auth/login'
      ? [200, { access_token: 'A', refresh_token: 'R', access_expires_in: 900, device_id: 'dev-1', user: { id: 1, username: 'ana', full_name: 'Ana', role: 'responder_clinician', unit_id: 3 } }]
      : [404, {}],
  );

beforeEach(() => {
  lock();
  freshDb();
  vi.mocked(subscribeToPush).mockClear();
});

describe('"Alerts on this device" across sign-ins', () => {
  it('a sign-in subscribes while alerts are wanted here', async () => {
    updateSettings({ alerts: true });
    setFetch(login().fetch);
    await signIn('ana', 'ana-pass');
    expect(subscribeToPush).toHaveBeenCalledTimes(1);
  });

  it('turned off, a later sign-in leaves them off', async () => {
    updateSettings({ alerts: false });
    setFetch(login().fetch);
    await signIn('ana', 'ana-pass');
    expect(subscribeToPush).not.toHaveBeenCalled();
  });
});
