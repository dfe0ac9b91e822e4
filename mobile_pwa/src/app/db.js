// IndexedDB via Dexie: confirmed server state, the mutation queue, photo bytes waiting for
// upload, and small settings (tokens, cursor, client id). Everything an engineer did offline
// lives here until the server has answered for it, so a reload or a dead battery loses nothing.

import Dexie from 'dexie';
import { normaliseChange } from './replay.js';

export function openDb(name = 'fieldops') {
  const db = new Dexie(name);
  db.version(1).stores({
    meta: '&key',
    confirmed: '[kind+id], kind, ticket_id',
    queue: '++seq, &id, status',
    blobs: '&id, ticket_id, uploaded',
  });
  return db;
}

export async function getMeta(db, key, fallback = null) {
  const row = await db.meta.get(key);
  return row ? row.value : fallback;
}

export function setMeta(db, key, value) {
  return db.meta.put({ key, value });
}

/** { kind: { id: row } } from the confirmed table. */
export async function loadConfirmed(db) {
  const out = {};
  await db.confirmed.each((r) => {
    (out[r.kind] ||= {})[r.id] = r.row;
  });
  return out;
}

/** Persist one pull page and its cursor atomically: a crash mid-pull re-pulls that page. */
export async function storePullPage(db, page, { clear = false } = {}) {
  await db.transaction('rw', db.confirmed, db.meta, async () => {
    if (clear) await db.confirmed.clear();
    for (const [kind, change] of Object.entries(page.changes || {})) {
      const { upserts, removes } = normaliseChange(change);
      if (upserts.length) {
        await db.confirmed.bulkPut(
          upserts.map((row) => ({ kind, id: row.id, ticket_id: row.ticket_id || null, row })),
        );
      }
      if (removes.length) await db.confirmed.bulkDelete(removes.map((id) => [kind, id]));
    }
    await db.meta.put({ key: 'cursor', value: page.cursor ?? null });
  });
}
