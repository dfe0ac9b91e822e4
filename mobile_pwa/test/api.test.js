// The fetch wrapper's token handling (src/lib/api.js), against a stub fetch: the refresh
// token rotates on every refresh and must be stored, and logout must reach the server.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApi } from '../src/lib/api.js';

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
});
