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
