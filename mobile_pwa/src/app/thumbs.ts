// The server's thumbnails for photos the phone did not take (the customer's, a colleague's):
// `photo.renditions.thumb.url` from the pull is an API path that checks access, so an <img>
// cannot load it by itself; it is fetched with the engineer's token and shown as an object
// URL. The service worker keeps every rendition it has fetched (sw.ts), so they show offline.

import type { App } from './types.js';

export const PHOTO_CACHE = 'fieldops-photos';

interface WithRenditions {
  id: string;
  renditions?: Record<string, { url?: string } | undefined>;
}

/** The object URL to show for `photo`, or null while it loads (then `rerender` is called). */
export function serverThumb(app: Pick<App, 'thumbs' | 'tokens'>, photo: WithRenditions, rerender: () => void): string | null {
  const url = photo.renditions?.thumb?.url;
  if (!url) return null;
  const thumbs = (app.thumbs ||= new Map());
  const have = thumbs.get(photo.id);
  if (have) return have === 'loading' ? null : have;
  thumbs.set(photo.id, 'loading');
  (async () => {
    const token = app.tokens?.access_token;
    const res = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    thumbs.set(photo.id, URL.createObjectURL(await res.blob()));
    rerender();
  })().catch(() => thumbs.delete(photo.id)); // tried again on the next render
  return null;
}

/** Renditions are immutable (one photo id, one image): cache-first is always right. */
export function isRendition(url: URL): boolean {
  return /^\/api\/v1\/photos\/[0-9a-f-]+\/(thumb|display)$/.test(url.pathname);
}
