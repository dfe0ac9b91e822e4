// The fetch wrapper's token handling (src/lib/api.js), against a stub fetch: the refresh
// token rotates on every refresh and must be stored, and logout must reach the server.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDb, setMeta } from '../src/app/db.js';
import { sharedTokens } from '../src/app/tokens.js';
import { createApi, webStorageTokens } from '../src/lib/api.js';

const json = (status, body) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });

function harness(initial) {
  const h = { tokens: { ...initial }, calls: [], lost: 0 };
  h.api = createApi({
    getTokens: () => h.tokens,
    setTokens: async (tk) => void (h.tokens = tk),
    onAuthLost: () => void (h.lost += 1),
  });
  return h;
}

describe('createApi tokens', () => {
  let answers;
  let calls;
  beforeEach(() => {
    answers = [];
    calls = [];
    vi.stubGlobal('fetch', async (url, init = {}) => {
      calls.push({ url, method: init.method, auth: init.headers?.Authorization });
      return answers.shift()(url, init);
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  it('stores the rotated refresh token after a refresh and retries with the new access token', async () => {
    const h = harness({ access_token: 'A1', refresh_token: 'R1' });
    answers.push(
      () => json(401, { code: 401, message: 'token has expired' }),
      () => json(200, { access_token: 'A2', refresh_token: 'R2' }),
      () => json(200, { ok: true }),
    );
    expect(await h.api.get('/api/v1/me')).toEqual({ ok: true });
    expect(calls.map((c) => [c.url, c.auth])).toEqual([
      ['/api/v1/me', 'Bearer A1'],
      ['/api/v1/auth/refresh', 'Bearer R1'],
      ['/api/v1/me', 'Bearer A2'],
    ]);
    expect(h.tokens).toEqual({ access_token: 'A2', refresh_token: 'R2' });

    // The next refresh sends the new refresh token, not the retired one.
    answers.push(() => json(200, { access_token: 'A3', refresh_token: 'R3' }));
    expect(await h.api.refresh()).toBe(true);
    expect(calls.at(-1).auth).toBe('Bearer R2');
    expect(h.tokens.refresh_token).toBe('R3');
  });

  it('logout posts to the logout endpoint with the refresh token', async () => {
    const h = harness({ access_token: 'A1', refresh_token: 'R1' });
    answers.push(() => json(204));
    expect(await h.api.logout()).toBe(true);
    expect(calls).toEqual([{ url: '/api/v1/auth/logout', method: 'POST', auth: 'Bearer R1' }]);
  });

  it('logout offline resolves false instead of throwing', async () => {
    const h = harness({ access_token: 'A1', refresh_token: 'R1' });
    answers.push(() => Promise.reject(new TypeError('Failed to fetch')));
    expect(await h.api.logout()).toBe(false);
  });

  it('the page refreshes with the pair the service worker rotated, not its stale copy', async () => {
    const db = openDb(`tokens-${Math.random()}`);
    const app = { tokens: { access_token: 'A1', refresh_token: 'R1' } };
    // The service worker refreshed in the background and stored the rotated pair.
    await setMeta(db, 'tokens', { access_token: 'A2', refresh_token: 'R2' });
    const api = createApi({
      getTokens: () => sharedTokens(db, app),
      setTokens: async (tk) => {
        app.tokens = tk;
        await setMeta(db, 'tokens', tk);
      },
    });
    answers.push(() => json(200, { access_token: 'A3', refresh_token: 'R3' }));
    expect(await api.refresh()).toBe(true);
    expect(calls.map((c) => c.auth)).toEqual(['Bearer R2']);
    expect(app.tokens).toEqual({ access_token: 'A3', refresh_token: 'R3' });
  });

  it('two console tabs share the rotated pair through Web Storage', async () => {
    const map = new Map();
    const storage = {
      getItem: (k) => map.get(k) ?? null,
      setItem: (k, v) => void map.set(k, v),
      removeItem: (k) => void map.delete(k),
    };
    const stored = webStorageTokens(storage, 'tk');
    stored.set({ access_token: 'A1', refresh_token: 'R1' });
    const tab = () => createApi({ getTokens: () => stored.get(), setTokens: (tk) => stored.set(tk) });
    const [a, b] = [tab(), tab()];
    answers.push(
      () => json(200, { access_token: 'A2', refresh_token: 'R2' }),
      () => json(200, { access_token: 'A3', refresh_token: 'R3' }),
    );
    expect(await a.refresh()).toBe(true);
    expect(await b.refresh()).toBe(true);
    expect(calls.map((c) => c.auth)).toEqual(['Bearer R1', 'Bearer R2']);
    stored.set(null);
    expect(stored.get()).toBe(null);
  });
});
