// FCM registration decisions of src/app/push.js, with Firebase, the permission prompt and the
// API injected: the real SDK needs a browser with push support, the decisions do not.
import { describe, expect, it } from 'vitest';
import { registerPush, unregisterPush } from '../src/app/push.js';

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
    post: async (path, body) => {
      h.posts.push([path, body]);
      return { id: `dev-${h.posts.length}`, token: body.token };
    },
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

  it('never prompts by itself: without a tap it answers "ask" and touches nothing', async () => {
    const h = harness({ permission: 'default' });
    let prompts = 0;
    const requestPermission = async () => (prompts += 1, 'granted');
    expect(await h.run({ requestPermission })).toBe('ask');
    expect(prompts).toBe(0);
    expect(h.tokenCalls).toEqual([]);
    expect(await h.run({ requestPermission, ask: true })).toBe('registered');
    expect(prompts).toBe(1);
    const dismissed = harness({ permission: 'default' });
    expect(await dismissed.run({ ask: true, requestPermission: async () => 'default' })).toBe('denied');
    expect(dismissed.posts).toEqual([]);
  });
});

describe('unregisterPush (logout)', () => {
  it("deletes the device the server gave back, then forgets it", async () => {
    const h = harness();
    await h.run();
    const removed = [];
    const out = await unregisterPush({ remove: async (path) => void removed.push(path), meta: h.meta });
    expect(out).toBe('removed');
    expect(removed).toEqual(['/api/v1/me/devices/dev-1']);
    expect(await h.meta.get('push_token')).toBe(null);
    expect(await unregisterPush({ remove: async () => { throw new Error('no'); }, meta: h.meta })).toBe('none');
  });

  it('keeps the record when the server cannot be reached; a 404 counts as gone', async () => {
    const h = harness();
    await h.run();
    const offline = async () => { throw new TypeError('Failed to fetch'); };
    expect(await unregisterPush({ remove: offline, meta: h.meta })).toBe('kept');
    expect((await h.meta.get('push_token')).device_id).toBe('dev-1');
    const gone = async () => { throw Object.assign(new Error('not found'), { status: 404 }); };
    expect(await unregisterPush({ remove: gone, meta: h.meta })).toBe('removed');
    expect(await h.meta.get('push_token')).toBe(null);
  });
});
