// Location reports while a job is en route: only after the engineer started travel (which
// asks the browser's permission), at most once a minute, and only when online — a position
// from an hour ago is useless to the dispatcher, so nothing is queued offline.

import type { App } from './types.js';

const MIN_INTERVAL_MS = 60_000;

export function startLocationReports(app: App): void {
  let watch: number | null = null;
  let lastSent = 0;

  function enRoute(): boolean {
    return Object.values(app.view.tickets || {}).some((tk) => tk.status === 'en_route');
  }

  function onPosition(pos: GeolocationPosition): void {
    const here: [number, number] = [pos.coords.longitude, pos.coords.latitude];
    app.position = here;
    if (!enRoute() || !app.online || !app.tokens) return;
    if (Date.now() - lastSent < MIN_INTERVAL_MS) return;
    lastSent = Date.now();
    app.api.client
      .POST('/api/v1/me/location', {
        body: {
          location: { type: 'Point', coordinates: here },
          accuracy_m: pos.coords.accuracy,
          recorded_at: new Date(pos.timestamp).toISOString(),
        },
      })
      .catch(() => {});
  }

  app.askLocation = () => {
    if (watch != null || !navigator.geolocation) return;
    watch = navigator.geolocation.watchPosition(onPosition, () => {}, {
      enableHighAccuracy: false,
      maximumAge: 30_000,
    });
  };

  // Resume watching after a reload if permission was already granted.
  navigator.permissions
    ?.query({ name: 'geolocation' })
    .then((p) => p.state === 'granted' && app.askLocation?.())
    .catch(() => {});
}
