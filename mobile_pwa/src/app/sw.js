// Service worker (vite-plugin-pwa injectManifest): precache the engineer app shell so the app
// starts with no network, serve /app/ navigations from the cached index.html, and answer
// background-sync events by running the outbox itself — the same src/app/sync.js the page
// runs, on the same IndexedDB, taking turns with the page through a Web Lock — so queued work
// leaves the phone when the connection returns even if the app is closed.
// API calls are never cached here: IndexedDB holds the data.

import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { createApi } from '../lib/api.js';
import { getMeta, openDb, setMeta } from './db.js';
import { createSync } from './sync.js';
import { isRendition, PHOTO_CACHE } from './thumbs.js';

precacheAndRoute(self.__WB_MANIFEST);
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

let outbox = null; // opened on the first sync event: pushes and page loads need no database

function workerOutbox() {
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

async function backgroundSync() {
  const { db, sync } = workerOutbox();
  if (!(await getMeta(db, 'tokens'))) return; // logged out: the queue waits for the next login
  await sync.sync();
  // Rejecting makes the browser fire the event again later, with its own back-off.
  if (sync.state.lastError) throw new Error(`background sync: ${sync.state.lastError}`);
  for (const c of await self.clients.matchAll({ type: 'window' })) c.postMessage({ type: 'synced' });
}

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('sync', (event) => {
  if (event.tag === 'fieldops-sync') event.waitUntil(backgroundSync());
});

// FCM push (src/app/push.js registers with this worker, so no firebase-messaging-sw.js): show
// the payload's notification, falling back to its data fields; tapping it opens the job.
self.addEventListener('push', (event) => {
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    payload = { notification: { body: event.data?.text() } };
  }
  const note = payload.notification || {};
  const data = payload.data || {};
  const title = note.title || data.title || 'fieldops';
  event.waitUntil(
    self.registration.showNotification(title, {
      body: note.body || data.body || '',
      icon: note.icon || '/icons/icon-192.png',
      tag: data.ticket_id || undefined,
      data: { ticket_id: data.ticket_id || null },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const ticketId = event.notification.data?.ticket_id;
  const url = ticketId ? `/app/#/job/${ticketId}` : '/app/';
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((clients) => {
      const open = clients.find((c) => new URL(c.url).pathname.startsWith('/app/'));
      if (open) return open.focus().then((c) => (ticketId ? c?.navigate?.(url) : c));
      return self.clients.openWindow(url);
    }),
  );
});
