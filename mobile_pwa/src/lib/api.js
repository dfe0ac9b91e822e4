// fetch wrapper: JSON in/out, bearer token, one refresh-and-retry on 401. Errors carry the
// server's flask-smorest body so screens can show its message.

export class HttpError extends Error {
  constructor(status, body, headers) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/** True when the failure means "no network" rather than an answer from the server. */
export const isNetworkError = (e) => !(e instanceof HttpError);

export function createApi({ getTokens, setTokens, onAuthLost, base = '' } = {}) {
  let refreshing = null;

  async function refresh() {
    const tokens = getTokens && (await getTokens());
    if (!tokens?.refresh_token) return false;
    refreshing ??= (async () => {
      try {
        const res = await fetch(`${base}/api/v1/auth/refresh`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${tokens.refresh_token}` },
        });
        if (!res.ok) {
          if (res.status === 401 || res.status === 422) await onAuthLost?.();
          return false;
        }
        const body = await res.json();
        // The server rotates the refresh token on every refresh and retires the one sent:
        // keep the new one, or the next refresh would look like a stolen token and end the session.
        await setTokens({
          ...tokens,
          access_token: body.access_token,
          refresh_token: body.refresh_token ?? tokens.refresh_token,
        });
        return true;
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  async function request(method, path, { json, form, headers = {}, retry = true } = {}) {
    const tokens = getTokens && (await getTokens());
    const h = { Accept: 'application/json', ...headers };
    if (tokens?.access_token) h.Authorization = `Bearer ${tokens.access_token}`;
    let body;
    if (json !== undefined) {
      h['Content-Type'] = 'application/json';
      body = JSON.stringify(json);
    } else if (form) body = form;
    const res = await fetch(base + path, { method, headers: h, body });
    if (res.status === 401 && retry && tokens?.refresh_token && (await refresh())) {
      return request(method, path, { json, form, headers, retry: false });
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = { message: text.slice(0, 200) };
      }
    }
    if (!res.ok) throw new HttpError(res.status, data, res.headers);
    return data;
  }

  /** End this session on the server (best effort: offline, the tokens are forgotten anyway).
   * Sends the refresh token, which outlives an access token that expired while offline. */
  async function logout() {
    const tokens = getTokens && (await getTokens());
    const token = tokens?.refresh_token || tokens?.access_token;
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
    request,
    refresh,
    logout,
    get: (p, o) => request('GET', p, o),
    post: (p, json, o) => request('POST', p, { ...o, json }),
    patch: (p, json, o) => request('PATCH', p, { ...o, json }),
  };
}

/** Lists may come as a bare array or an envelope ({items|results|data}); accept both. */
export function listOf(data) {
  if (Array.isArray(data)) return data;
  if (!data || typeof data !== 'object') return [];
  return data.items || data.results || data.data || data.features || [];
}

/** Tokens kept in Web Storage and read on every use: another tab of the console may have
 * refreshed, which rotates the refresh token; a tab sending its stale copy would present a
 * retired token, which the server treats as theft and ends the session. */
export function webStorageTokens(storage, key) {
  return {
    get: () => JSON.parse(storage.getItem(key) || 'null'),
    set: (tokens) => (tokens ? storage.setItem(key, JSON.stringify(tokens)) : storage.removeItem(key)),
  };
}
