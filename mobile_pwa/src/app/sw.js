// Service worker (vite-plugin-pwa injectManifest): precache the engineer app shell so the app
// starts with no network, serve /app/ navigations from the cached index.html, and turn
// background-sync events into a message for the open page, whose outbox does the pushing
// (it holds the token-refresh and per-mutation rules; a second copy here could disagree).
// API calls are never cached here: IndexedDB holds the data.

import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('/app/index.html'), { allowlist: [/^\/app\//] }));

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('sync', (event) => {
  if (event.tag !== 'fieldops-sync') return;
  event.waitUntil(
    self.clients.matchAll({ type: 'window' }).then((clients) => {
      for (const c of clients) c.postMessage({ type: 'sync' });
    }),
  );
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
