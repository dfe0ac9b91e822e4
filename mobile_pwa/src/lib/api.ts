// The one way the PWA talks to the server: openapi-fetch typed by the generated OpenAPI types
// (api-schema.d.ts, `npm run gen:api`), wrapped with what every screen needs: the bearer
// token, one refresh-and-retry on 401 (the server rotates the refresh token on every refresh),
// and errors thrown as HttpError carrying the server's flask-smorest body so screens can show
// its message.
//
//   const api = createApi({ getTokens, setTokens });
//   const t = await ok(api.client.GET('/api/v1/public/tracking/{tracking_token}', {
//     params: { path: { tracking_token } } }));             // t is typed from the document
//
// `api.get/post/patch/request(method, path)` stay for the screens not converted yet: the same
// client underneath, untyped paths.

import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './api-schema';

export type { components, paths } from './api-schema';

/** The server's error body (ErrorSchema): always `message`, often `kind` and `errors`. */
export interface ErrorBody {
  code?: number;
  status?: string;
  message?: string;
  kind?: string;
  errors?: Record<string, unknown>;
  [extra: string]: unknown;
}

export class HttpError extends Error {
  readonly status: number;
  readonly body: ErrorBody | null;
  readonly headers: Headers | undefined;

  constructor(status: number, body: ErrorBody | null, headers?: Headers) {
    super(body?.message || `HTTP ${status}`);
    this.name = 'HttpError';
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/** True when the failure means "no network" rather than an answer from the server. */
export const isNetworkError = (e: unknown): boolean => !(e instanceof HttpError);

export interface Tokens {
  access_token?: string;
  refresh_token?: string;
  [extra: string]: unknown;
}

export interface ApiOptions {
  getTokens?: () => Tokens | null | undefined | Promise<Tokens | null | undefined>;
  setTokens?: (tokens: Tokens) => unknown;
  onAuthLost?: () => unknown;
  /** Origin the paths are relative to; '' means the page's (or service worker's) own. */
  base?: string;
}

export interface RequestOptions {
  json?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  /** false: a 401 is the answer (a login form), no refresh-and-retry. */
  retry?: boolean;
}

/**
 * What openapi-fetch hands to `fetch`: the URL and the init as built, body included as the
 * serialized value (a string or FormData) rather than a consumed stream, so the retry after a
 * refresh can send it again, and a path without an origin works outside a document (tests,
 * Node). Given to openapi-fetch as its `Request` constructor, an option it offers for this.
 */
class OutgoingRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: BodyInit | null | undefined;
  readonly redirect: RequestRedirect | undefined;
  /** Refresh and send again on a 401 (openapi-fetch passes unknown options through). */
  readonly retry: boolean;

  constructor(url: string, init: RequestInit & { retry?: boolean } = {}) {
    this.url = url;
    this.method = (init.method || 'GET').toUpperCase();
    this.headers = new Headers(init.headers);
    this.body = init.body;
    this.redirect = init.redirect;
    this.retry = init.retry !== false;
  }
}

/** The body an error answer carried: JSON as sent, other text as a message, nothing as null. */
function errorBody(error: unknown): ErrorBody | null {
  if (error === undefined || error === null || error === '') return null;
  if (typeof error === 'string') return { message: error.slice(0, 200) };
  return typeof error === 'object' ? (error as ErrorBody) : { message: String(error) };
}

/** An openapi-fetch result as its data, or its error answer thrown as HttpError. */
export async function ok<D>(
  result: Promise<{ data?: D; error?: unknown; response: Response }>,
): Promise<D> {
  const { data, error, response } = await result;
  if (!response.ok) throw new HttpError(response.status, errorBody(error), response.headers);
  return data as D;
}

export interface Api {
  /** The typed client: paths, parameters, bodies and answers from the OpenAPI document. */
  client: Client<paths>;
  request: (method: string, path: string, options?: RequestOptions) => Promise<any>;
  refresh: () => Promise<boolean>;
  logout: () => Promise<boolean>;
  get: (path: string, options?: RequestOptions) => Promise<any>;
  post: (path: string, json?: unknown, options?: RequestOptions) => Promise<any>;
  patch: (path: string, json?: unknown, options?: RequestOptions) => Promise<any>;
}

export function createApi({ getTokens, setTokens, onAuthLost, base = '' }: ApiOptions = {}): Api {
  let refreshing: Promise<boolean> | null = null;
  const tokens = async (): Promise<Tokens | null | undefined> => (getTokens ? await getTokens() : null);

  async function refresh(): Promise<boolean> {
    const current = await tokens();
    if (!current?.refresh_token) return false;
    refreshing ??= (async () => {
      try {
        const res = await fetch(`${base}/api/v1/auth/refresh`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${current.refresh_token}` },
        });
        if (!res.ok) {
          if (res.status === 401 || res.status === 422) await onAuthLost?.();
          return false;
        }
        const body = (await res.json()) as { access_token: string; refresh_token?: string };
        // The server rotates the refresh token on every refresh and retires the one sent:
        // keep the new one, or the next refresh would look like a stolen token and end the session.
        await setTokens?.({
          ...current,
          access_token: body.access_token,
          refresh_token: body.refresh_token ?? current.refresh_token,
        });
        return true;
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  /** Sends with the current access token; on a 401, refreshes once and sends again. */
  async function send(req: OutgoingRequest, retry = req.retry): Promise<Response> {
    const current = await tokens();
    const headers = new Headers(req.headers);
    if (!headers.has('Accept')) headers.set('Accept', 'application/json');
    if (current?.access_token) headers.set('Authorization', `Bearer ${current.access_token}`);
    const init: RequestInit = { method: req.method, headers: Object.fromEntries(headers) };
    if (req.body !== undefined && req.body !== null) init.body = req.body;
    if (req.redirect) init.redirect = req.redirect;
    const res = await fetch(req.url, init);
    if (res.status === 401 && retry && current?.refresh_token && (await refresh())) {
      return send(req, false);
    }
    return res;
  }

  const client = createClient<paths>({
    baseUrl: base,
    fetch: send as unknown as (input: Request) => Promise<Response>,
    Request: OutgoingRequest as unknown as typeof Request,
  });

  /** Any method and path, for callers not typed yet; the same client and error handling. */
  async function request(method: string, path: string, { json, form, headers = {}, retry = true }: RequestOptions = {}) {
    const body = json !== undefined ? json : form;
    const result = await (client as unknown as Client<Record<string, any>>).request(
      method.toLowerCase() as 'get',
      path,
      { body, headers, retry, parseAs: 'text' } as never,
    );
    const { data, error, response } = result as { data?: string; error?: unknown; response: Response };
    if (!response.ok) throw new HttpError(response.status, errorBody(error), response.headers);
    if (!data) return null;
    try {
      return JSON.parse(data);
    } catch {
      return { message: data.slice(0, 200) };
    }
  }

  /** End this session on the server (best effort: offline, the tokens are forgotten anyway).
   * Sends the refresh token, which outlives an access token that expired while offline. */
  async function logout(): Promise<boolean> {
    const current = await tokens();
    const token = current?.refresh_token || current?.access_token;
    if (!token) return false;
    try {
      const res = await fetch(`${base}/api/v1/auth/logout`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
      });
      return res.ok;
    } catch {
      return false;
    }
  }

  return {
    client,
    request,
    refresh,
    logout,
    get: (p, o) => request('GET', p, o),
    post: (p, json, o) => request('POST', p, { ...o, json }),
    patch: (p, json, o) => request('PATCH', p, { ...o, json }),
  };
}

/** Lists may come as a bare array or an envelope ({items|results|data}); accept both. */
export function listOf<T = unknown>(data: unknown): T[] {
  if (Array.isArray(data)) return data as T[];
  if (!data || typeof data !== 'object') return [];
  const d = data as Record<string, unknown>;
  return (d.items || d.results || d.data || d.features || []) as T[];
}

/** Tokens kept in Web Storage and read on every use: another tab of the console may have
 * refreshed, which rotates the refresh token; a tab sending its stale copy would present a
 * retired token, which the server treats as theft and ends the session. */
export function webStorageTokens(storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>, key: string) {
  return {
    get: (): Tokens | null => JSON.parse(storage.getItem(key) || 'null') as Tokens | null,
    set: (tokens: Tokens | null): void =>
      tokens ? storage.setItem(key, JSON.stringify(tokens)) : storage.removeItem(key),
  };
}
