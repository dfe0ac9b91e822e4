// IndexedDB via Dexie: confirmed server state, the mutation queue, photo bytes waiting for
// upload, and small settings (tokens, cursor, client id). Everything an engineer did offline
// lives here until the server has answered for it, so a reload or a dead battery loses nothing.

import Dexie, { type EntityTable, type Table } from 'dexie';
import { normaliseChange, type PullPage } from './replay.js';
import type { Blob_, Confirmed, Mutation } from './types.js';

interface MetaRow {
  key: string;
  value: unknown;
}

interface ConfirmedRow {
  kind: string;
  id: string;
  ticket_id: string | null;
  row: { id: string };
}

/** A queued mutation before IndexedDB gave it its `seq`. */
export type NewMutation = Omit<Mutation, 'seq'> & { seq?: number };

export type Db = Dexie & {
  meta: EntityTable<MetaRow, 'key'>;
  confirmed: Table<ConfirmedRow, [string, string]>;
  queue: Table<Mutation, number, NewMutation>;
  blobs: EntityTable<Blob_, 'id'>;
};

export function openDb(name = 'fieldops'): Db {
  const db = new Dexie(name) as Db;
  db.version(1).stores({
    meta: '&key',
    confirmed: '[kind+id], kind, ticket_id',
    queue: '++seq, &id, status',
    blobs: '&id, ticket_id, uploaded',
  });
  return db;
}

export async function getMeta<T>(db: Db, key: string, fallback: T | null = null): Promise<T | null> {
  const row = await db.meta.get(key);
  return row ? (row.value as T) : fallback;
}

export function setMeta(db: Db, key: string, value: unknown): Promise<string> {
  return db.meta.put({ key, value });
}

/** { kind: { id: row } } from the confirmed table. */
export async function loadConfirmed(db: Db): Promise<Confirmed> {
  const out: Record<string, Record<string, unknown>> = {};
  await db.confirmed.each((r) => {
    (out[r.kind] ||= {})[r.id] = r.row;
  });
  return out as Confirmed;
}

/** Persist one pull page and its cursor atomically: a crash mid-pull re-pulls that page. */
export async function storePullPage(db: Db, page: PullPage, { clear = false } = {}): Promise<void> {
  await db.transaction('rw', db.confirmed, db.meta, async () => {
    if (clear) await db.confirmed.clear();
    for (const [kind, change] of Object.entries(page.changes || {})) {
      const { upserts, removes } = normaliseChange(change);
      if (upserts.length) {
        await db.confirmed.bulkPut(
          upserts.map((row) => ({ kind, id: row.id, ticket_id: (row as { ticket_id?: string }).ticket_id || null, row })),
        );
      }
      if (removes.length) await db.confirmed.bulkDelete(removes.map((id): [string, string] => [kind, id]));
    }
    await db.meta.put({ key: 'cursor', value: page.cursor ?? null });
  });
}
