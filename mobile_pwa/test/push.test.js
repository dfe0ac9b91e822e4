// FCM registration decisions of src/app/push.js, with Firebase, the permission prompt and the
// API injected: the real SDK needs a browser with push support, the decisions do not.
import { describe, expect, it } from 'vitest';
import { registerPush } from '../src/app/push.js';

const CONFIG = {
  firebase: { apiKey: 'k', projectId: 'p', messagingSenderId: '1', appId: 'a', vapidKey: 'V' },
};

function harness({ permission = 'granted', token = 'tok-1' } = {}) {
  const store = new Map();
  const h = {
    posts: [],
    tokenCalls: [],
    permission,
    token,
    meta: { get: async (k) => store.get(k) ?? null, set: async (k, v) => void store.set(k, v) },
    requestPermission: async () => h.permission,
    getToken: async (fb, vapid) => {
      h.tokenCalls.push([fb, vapid]);
      return h.token;
    },
    post: async (path, body) => void h.posts.push([path, body]),
  };
  h.run = (over = {}) => registerPush({ config: CONFIG, userId: 'u1', ...h, ...over });
  return h;
}

describe('registerPush', () => {
  it('does nothing at all without a Firebase web config', async () => {
    const h = harness();
    let asked = false;
    const out = await h.run({ config: { firebase: null }, requestPermission: async () => (asked = true) });
    expect(out).toBe('unconfigured');
    expect(asked).toBe(false);
    expect(h.tokenCalls).toEqual([]);
    expect(h.posts).toEqual([]);
    expect(await h.run({ config: {} })).toBe('unconfigured');
  });

  it('posts the token once, with the VAPID key from the config', async () => {
    const h = harness();
    expect(await h.run()).toBe('registered');
    expect(h.tokenCalls[0][1]).toBe('V');
    expect(h.posts).toEqual([['/api/v1/me/devices', { token: 'tok-1', platform: 'web' }]]);
  });

  it('does not re-post the same token, but does post a new one', async () => {
    const h = harness();
    await h.run();
    expect(await h.run()).toBe('unchanged');
    expect(h.posts).toHaveLength(1);
    h.token = 'tok-2';
    expect(await h.run()).toBe('registered');
    expect(h.posts.map((p) => p[1].token)).toEqual(['tok-1', 'tok-2']);
  });

  it('re-posts the same token when another engineer logs in on the phone', async () => {
    const h = harness();
    await h.run();
    expect(await h.run({ userId: 'u2' })).toBe('registered');
    expect(h.posts).toHaveLength(2);
  });

  it('permission denied: no token, no POST, no error', async () => {
    const h = harness({ permission: 'denied' });
    await expect(h.run()).resolves.toBe('denied');
    expect(h.tokenCalls).toEqual([]);
    expect(h.posts).toEqual([]);
  });

  it('waits while offline or logged out', async () => {
    const h = harness();
    expect(await h.run({ online: false })).toBe('offline');
    expect(await h.run({ loggedIn: false })).toBe('offline');
    expect(h.posts).toEqual([]);
  });

  it('a failing SDK or POST is swallowed and retried next time', async () => {
    const h = harness();
    const out = await h.run({ getToken: async () => { throw new Error('unsupported'); } });
    expect(out).toBe('failed');
    const down = await h.run({ post: async () => { throw new Error('503'); } });
    expect(down).toBe('failed');
    expect(await h.run()).toBe('registered');
    expect(h.posts).toHaveLength(1);
  });

  it('takes a separate vapid_key from the server config', async () => {
    const h = harness();
    const { vapidKey: _v, ...fb } = CONFIG.firebase;
    await h.run({ config: { firebase: fb, vapid_key: 'SEP' } });
    expect(h.tokenCalls[0][1]).toBe('SEP');
  });
});
