// FCM push registration, only when the server hands out a Firebase web config (/app/config.json).
// Without it nothing here loads: the firebase SDK is import()ed lazily, so it is a separate chunk
// that the engineer app's initial JS (and its 150 KB budget) never contains. The token is posted
// to /api/v1/me/devices once and remembered in IndexedDB meta with the server's device id; it is
// re-posted only when FCM hands out a different token or another engineer logs in on the same
// phone, and logging out deletes the device so the next engineer's jobs are not pushed to it.
// The permission prompt comes only from a tap on "Enable notifications" (browsers block or hide
// prompts that no gesture asked for); once granted, registration runs by itself.
// Push is a convenience: every failure here is swallowed (the app works without it).

import type { components } from '../lib/api.js';
import { getMeta, setMeta } from './db.js';
import type { App } from './types.js';

const META_KEY = 'push_token';

type AppConfig = components['schemas']['AppConfigOut'];
type FirebaseConfig = Record<string, string> & { vapidKey?: string };

interface Meta {
  get: (key: string) => Promise<unknown>;
  set: (key: string, value: unknown) => Promise<unknown>;
}

interface KnownDevice {
  token: string;
  user: string | null;
  device_id: string | null;
}

export type PushOutcome = 'unconfigured' | 'offline' | 'ask' | 'denied' | 'unchanged' | 'registered' | 'failed';

export interface RegisterOptions {
  config: { firebase?: FirebaseConfig | null; vapid_key?: string | null } | null | undefined;
  online?: boolean;
  loggedIn?: boolean;
  userId?: string | null;
  permission?: NotificationPermission;
  ask?: boolean;
  requestPermission: () => Promise<NotificationPermission>;
  getToken: (firebase: FirebaseConfig, vapidKey: string) => Promise<string | null>;
  post: (path: string, body: unknown) => Promise<{ id?: string } | null>;
  meta: Meta;
}

/**
 * The decision logic, with every browser/Firebase call injected so it is testable:
 * - config: { firebase, vapid_key } from /app/config.json (firebase null = push not configured)
 * - permission: the current Notification.permission ('granted' | 'denied' | 'default')
 * - ask: true when the engineer tapped "Enable notifications" (only then is the prompt shown)
 * - requestPermission(): 'granted' | 'denied' | 'default'
 * - getToken(firebaseConfig, vapidKey): the FCM registration token (loads the SDK lazily)
 * - post(path, body): the authenticated API call, answering the stored device ({ id, ... })
 * - meta: { get(key), set(key, value) } backed by IndexedDB
 * Returns what happened; never throws.
 */
export async function registerPush({
  config, online = true, loggedIn = true, userId = null, permission = 'default', ask = false,
  requestPermission, getToken, post, meta,
}: RegisterOptions): Promise<PushOutcome> {
  const firebase = config?.firebase;
  const vapidKey = config?.vapid_key || firebase?.vapidKey;
  if (!firebase || !vapidKey) return 'unconfigured';
  if (!online || !loggedIn) return 'offline';
  if (permission === 'denied') return 'denied';
  if (permission !== 'granted' && !ask) return 'ask';
  try {
    if (permission !== 'granted' && (await requestPermission()) !== 'granted') return 'denied';
    const token = await getToken(firebase, vapidKey);
    if (!token) return 'failed';
    const known = (await meta.get(META_KEY)) as KnownDevice | null;
    if (known && known.token === token && known.user === userId) return 'unchanged';
    const device = await post('/api/v1/me/devices', { token, platform: 'web' });
    await meta.set(META_KEY, { token, user: userId, device_id: device?.id ?? null } satisfies KnownDevice);
    return 'registered';
  } catch {
    return 'failed';
  }
}

/**
 * Before the tokens are forgotten at logout: stop pushes to this phone for this engineer.
 * Returns 'none' (nothing registered), 'removed' or 'kept' (offline or refused: the next login
 * on this phone re-registers the token, which moves it to that engineer). Never throws.
 */
export async function unregisterPush({ remove, meta }: { remove: (path: string) => Promise<unknown>; meta: Meta }): Promise<'none' | 'removed' | 'kept'> {
  const known = (await meta.get(META_KEY)) as KnownDevice | null;
  if (!known?.device_id) return 'none';
  try {
    await remove(`/api/v1/me/devices/${known.device_id}`);
    await meta.set(META_KEY, null);
    return 'removed';
  } catch (e) {
    if ((e as { status?: number })?.status === 404) {
      await meta.set(META_KEY, null); // already gone on the server (token expired, or removed)
      return 'removed';
    }
    return 'kept';
  }
}

/** The real getToken: Firebase app + messaging, bound to our own /app/ service worker. */
async function firebaseToken(firebaseConfig: FirebaseConfig, vapidKey: string): Promise<string | null> {
  const [{ initializeApp, getApps }, { getMessaging, getToken, isSupported }] = await Promise.all([
    import('firebase/app'),
    import('firebase/messaging'),
  ]);
  if (!(await isSupported())) return null;
  const { vapidKey: _omit, ...appConfig } = firebaseConfig;
  const fbApp = getApps()[0] || initializeApp(appConfig);
  const serviceWorkerRegistration = await navigator.serviceWorker.ready;
  return getToken(getMessaging(fbApp), { vapidKey, serviceWorkerRegistration });
}

let configPromise: Promise<Partial<AppConfig>> | null = null;

function loadConfig(): Promise<Partial<AppConfig>> {
  configPromise ||= fetch('/app/config.json')
    .then((r) => (r.ok ? (r.json() as Promise<AppConfig>) : {}))
    .catch(() => {
      configPromise = null; // offline at boot: try again on the next call
      return {};
    });
  return configPromise;
}

const pushMeta = (app: Pick<App, 'db'>): Meta => ({ get: (k) => getMeta(app.db, k), set: (k, v) => setMeta(app.db, k, v) });

/** Called at boot, after login, on reconnect (`ask` false) and from the "Enable notifications"
 * button (`ask` true); cheap when push is not configured. */
export async function startPush(app: App, { ask = false } = {}): Promise<PushOutcome> {
  if (!app.online || !app.tokens || !('serviceWorker' in navigator) || !('Notification' in window)) {
    return 'offline';
  }
  const config = await loadConfig();
  return registerPush({
    config: config as RegisterOptions['config'],
    online: app.online,
    loggedIn: Boolean(app.tokens),
    userId: app.user?.id ?? null,
    permission: Notification.permission,
    ask,
    requestPermission: () => Notification.requestPermission(),
    getToken: firebaseToken,
    post: (path, body) => app.api.post(path, body),
    meta: pushMeta(app),
  });
}

export function stopPush(app: App): Promise<'none' | 'removed' | 'kept'> {
  return unregisterPush({ remove: (path) => app.api.request('DELETE', path), meta: pushMeta(app) });
}
