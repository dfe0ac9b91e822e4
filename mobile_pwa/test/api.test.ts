// The API client's token and error handling (src/lib/api.ts), against a stub fetch: the refresh
// token rotates on every refresh and must be stored, logout must reach the server, the typed
// client sends and answers through the same wrapper, and errors carry the server's body.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDb, setMeta } from '../src/app/db.js';
import { sharedTokens } from '../src/app/tokens.js';
import { type Api, createApi, HttpError, isNetworkError, ok, type Tokens, webStorageTokens } from '../src/lib/api.js';

type Call = { url: string; method: string | undefined; auth: string | null; body?: unknown };
type Answer = (url: string, init: RequestInit) => Response | Promise<Response>;

const json = (status: number, body?: unknown) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });

function harness(initial: Tokens) {
  const h: { tokens: Tokens; lost: number; api?: Api } = { tokens: { ...initial }, lost: 0 };
  const api = createApi({
    getTokens: () => h.tokens,
    setTokens: async (tk) => void (h.tokens = tk),
    onAuthLost: () => void (h.lost += 1),
  });
  return { ...h, api, get tokens() { return h.tokens; }, get lost() { return h.lost; } };
}

describe('createApi tokens', () => {
  let answers: Answer[];
  let calls: Call[];
  beforeEach(() => {
    answers = [];
    calls = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
      calls.push({ url, method: init.method, auth: new Headers(init.headers).get('Authorization') });
      return answers.shift()!(url, init);
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
    expect(calls.at(-1)!.auth).toBe('Bearer R2');
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
    const app: { tokens: Tokens } = { tokens: { access_token: 'A1', refresh_token: 'R1' } };
    // The service worker refreshed in the background and stored the rotated pair.
    await setMeta(db, 'tokens', { access_token: 'A2', refresh_token: 'R2' });
    const api = createApi({
      getTokens: () => sharedTokens(db, app),
      setTokens: async (tk: Tokens) => {
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
    const map = new Map<string, string>();
    const storage = {
      getItem: (k: string) => map.get(k) ?? null,
      setItem: (k: string, v: string) => void map.set(k, v),
      removeItem: (k: string) => void map.delete(k),
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

  it('the typed client fills path parameters, sends the token and returns the typed answer', async () => {
    const h = harness({ access_token: 'A1' });
    answers.push(() => json(200, { ticket_number: 7, status: 'assigned' }));
    const data = await ok(
      h.api.client.GET('/api/v1/public/tracking/{tracking_token}', { params: { path: { tracking_token: 'tk 1' } } }),
    );
    expect(data.ticket_number).toBe(7);
    expect(calls).toEqual([{ url: '/api/v1/public/tracking/tk%201', method: 'GET', auth: 'Bearer A1' }]);
  });

  it('a JSON body is sent again, unchanged, on the retry after a refresh', async () => {
    const h = harness({ access_token: 'A1', refresh_token: 'R1' });
    const bodies: unknown[] = [];
    answers.push(
      (_u, init) => (bodies.push(init.body), json(401, { message: 'expired' })),
      () => json(200, { access_token: 'A2', refresh_token: 'R2' }),
      (_u, init) => (bodies.push(init.body), json(201, { id: 'n1' })),
    );
    expect(await h.api.post('/api/v1/tickets/t1/notes', { body: 'hello' })).toEqual({ id: 'n1' });
    expect(bodies).toEqual(['{"body":"hello"}', '{"body":"hello"}']);
    expect(calls.map((c) => c.auth)).toEqual(['Bearer A1', 'Bearer R1', 'Bearer A2']);
  });

  it('retry: false answers a 401 without refreshing (a login form)', async () => {
    const h = harness({ access_token: 'A1', refresh_token: 'R1' });
    answers.push(() => json(401, { code: 401, message: 'bad password', kind: 'bad_credentials' }));
    const err = await h.api.post('/api/v1/auth/login', { email: 'a', password: 'b' }, { retry: false }).catch((e) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err.status).toBe(401);
    expect(err.body.kind).toBe('bad_credentials');
    expect(err.message).toBe('bad password');
    expect(calls).toHaveLength(1);
    expect(isNetworkError(err)).toBe(false);
  });

  it('errors carry the server body, a non-JSON body as its text, the headers, and offline is a network error', async () => {
    const h = harness({});
    answers.push(() => new Response('<html>bad gateway</html>', { status: 502 }));
    const gateway = await h.api.get('/api/v1/me').catch((e) => e);
    expect(gateway).toMatchObject({ status: 502, body: { message: '<html>bad gateway</html>' } });

    answers.push(() => json(429, { message: 'slow down' }));
    const limited = await ok(h.api.client.GET('/api/v1/public/tracking/{tracking_token}', {
      params: { path: { tracking_token: 'x' } },
    })).catch((e) => e);
    expect(limited).toBeInstanceOf(HttpError);
    expect(limited.body).toEqual({ message: 'slow down' });

    answers.push(() => Promise.reject(new TypeError('Failed to fetch')));
    const offline = await h.api.get('/api/v1/me').catch((e) => e);
    expect(offline).toBeInstanceOf(TypeError);
    expect(isNetworkError(offline)).toBe(true);
  });

  it('an empty answer is null for the untyped calls', async () => {
    const h = harness({});
    answers.push(() => new Response(null, { status: 204 }));
    expect(await h.api.request('DELETE', '/api/v1/devices/d1')).toBeNull();
  });
});
