// Service worker (vite-plugin-pwa injectManifest): precache the engineer app shell so the app
// starts with no network, serve /app/ navigations from the cached index.html, keep the photo
// renditions the app fetched, and answer background-sync events by running the outbox itself —
// the same src/app/sync.ts the page runs, on the same IndexedDB, taking turns with the page
// through a Web Lock — so queued work leaves the phone when the connection returns even if the
// app is closed. API calls other than photo renditions are never cached: IndexedDB holds the data.

import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { createApi } from '../lib/api.js';
import { type Db, getMeta, openDb, setMeta } from './db.js';
import { createSync, type Sync } from './sync.js';
import { isRendition, PHOTO_CACHE } from './thumbs.js';

// The parts of the service worker scope used here (the DOM lib this project compiles with
// does not describe a worker's global scope).
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface SyncEvent extends ExtendableEvent {
  tag: string;
}
interface PushEvent extends ExtendableEvent {
  data: { json(): unknown; text(): string } | null;
}
interface NotificationEvent extends ExtendableEvent {
  notification: Notification;
}
interface WindowClient {
  url: string;
  focus(): Promise<WindowClient>;
  navigate?(url: string): Promise<WindowClient | null>;
  postMessage(message: unknown): void;
}
interface WorkerScope {
  __WB_MANIFEST: (string | PrecacheEntry)[];
  registration: ServiceWorkerRegistration;
  clients: {
    claim(): Promise<void>;
    matchAll(options?: { type?: 'window'; includeUncontrolled?: boolean }): Promise<WindowClient[]>;
    openWindow(url: string): Promise<WindowClient | null>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'sync', listener: (event: SyncEvent) => void): void;
  addEventListener(type: 'push', listener: (event: PushEvent) => void): void;
  addEventListener(type: 'notificationclick', listener: (event: NotificationEvent) => void): void;
}

const worker = self as unknown as WorkerScope;

// Written on `self` itself: the build finds this expression and puts the precache list there.
precacheAndRoute((self as unknown as WorkerScope).__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('/app/index.html'), { allowlist: [/^\/app\//] }));

// Photo renditions the app fetched (with its token) are kept, so job photos show offline.
registerRoute(
  ({ url, request }) => request.method === 'GET' && isRendition(url),
  async ({ request }) => {
    const cache = await caches.open(PHOTO_CACHE);
    const hit = await cache.match(request, { ignoreVary: true, ignoreSearch: true });
    if (hit) return hit;
    const res = await fetch(request);
    if (res.ok) await cache.put(request, res.clone());
    return res;
  },
);

let outbox: { db: Db; sync: Sync } | null = null; // opened on the first sync event

function workerOutbox(): { db: Db; sync: Sync } {
  if (!outbox) {
    const db = openDb();
    const api = createApi({
      getTokens: () => getMeta(db, 'tokens'),
      setTokens: (tokens) => setMeta(db, 'tokens', tokens),
      // Refresh refused: forget the tokens, keep the queue for the next login (as the page does).
      onAuthLost: () => setMeta(db, 'tokens', null),
    });
    outbox = { db, sync: createSync({ db, api }) };
  }
  return outbox;
}

async function backgroundSync(): Promise<void> {
  const { db, sync } = workerOutbox();
  if (!(await getMeta(db, 'tokens'))) return; // logged out: the queue waits for the next login
  await sync.sync();
  // Rejecting makes the browser fire the event again later, with its own back-off.
  if (sync.state.lastError) throw new Error(`background sync: ${sync.state.lastError}`);
  for (const c of await worker.clients.matchAll({ type: 'window' })) c.postMessage({ type: 'synced' });
}

worker.addEventListener('install', () => {
  worker.skipWaiting();
});
worker.addEventListener('activate', (event) => event.waitUntil(worker.clients.claim()));

worker.addEventListener('sync', (event) => {
  if (event.tag === 'fieldops-sync') event.waitUntil(backgroundSync());
});

interface PushPayload {
  notification?: { title?: string; body?: string; icon?: string };
  data?: { title?: string; body?: string; ticket_id?: string };
}

// FCM push (src/app/push.ts registers with this worker, so no firebase-messaging-sw.js): show
// the payload's notification, falling back to its data fields; tapping it opens the job.
worker.addEventListener('push', (event) => {
  let payload: PushPayload = {};
  try {
    payload = (event.data ? event.data.json() : {}) as PushPayload;
  } catch {
    payload = { notification: { body: event.data?.text() } };
  }
  const note = payload.notification || {};
  const data = payload.data || {};
  const title = note.title || data.title || 'fieldops';
  event.waitUntil(
    worker.registration.showNotification(title, {
      body: note.body || data.body || '',
      icon: note.icon || '/icons/icon-192.png',
      tag: data.ticket_id || undefined,
      data: { ticket_id: data.ticket_id || null },
    }),
  );
});

worker.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const ticketId = (event.notification.data as { ticket_id?: string | null } | null)?.ticket_id;
  const url = ticketId ? `/app/#/job/${ticketId}` : '/app/';
  event.waitUntil(
    worker.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((clients) => {
      const open = clients.find((c) => new URL(c.url).pathname.startsWith('/app/'));
      if (open) return open.focus().then((c) => (ticketId ? c?.navigate?.(url) : c));
      return worker.clients.openWindow(url);
    }),
  );
});
