// The outbox: enqueue mutations with client ids, push them in order, honour each answer,
// upload photo bytes, pull confirmed state. Rules (docs/sync-protocol.md):
// - a network failure, 5xx, 401, 409 or 429 keeps the whole batch queued (nothing was processed);
// - batches are packed by count and bytes within the server's documented limits (outbox.ts);
// - a batch refused for its content (400, 413, 422...) is never resent unchanged: it is split
//   until the refused mutation is alone, which is kept as 'rejected' with the server's reason
//   (shown as "not synced" with its text), and the rest of the queue flows on;
// - per-mutation 'conflict'/'rejected' answers are kept and shown, never dropped;
// - 'applied'/'merged'/'duplicate' become 'acked' and are dropped only after a pull brought
//   their effect, so the screen never flickers back to the old state.

import { type Api, type components, HttpError, isNetworkError, ok } from '../lib/api.js';
import { uuid } from '../lib/dom.js';
import { type Db, getMeta, loadConfirmed, type NewMutation, setMeta, storePullPage } from './db.js';
import { jsonBytes, limitsFromOpenApi, packBatch, PUSH_PATH, type PushLimits, sendIsolating, wire } from './outbox.js';
import { ackedToDrop, applyPushResults, type PullPage, pendingCount } from './replay.js';
import type { Blob_, Confirmed, Mutation } from './types.js';

export const SCHEMA_VERSION = 1;
export const PUSH_BATCH = 100;
export const PULL_LIMIT = 500;
export const OPENAPI_PATH = '/api/v1/openapi.json';
const LIMITS_MAX_AGE_MS = 24 * 3600 * 1000;

// The page and the service worker (background sync with no page open) both run this outbox on
// the same IndexedDB; a Web Lock makes their runs take turns, so one never pushes a batch the
// other is still answering or writes back records the other has just changed.
const LOCK = 'fieldops-sync';

type PushOut = components['schemas']['PushOut'];
type StoredLimits = PushLimits & { at: string };

export interface SyncState {
  syncing: boolean;
  lastError: string | null;
  lastSync: string | null;
}

export interface Sync {
  enqueue: (name: string, args: Record<string, unknown>, local?: Partial<Mutation>) => Promise<Mutation>;
  sync: () => Promise<void>;
  push: () => Promise<void>;
  pushLimits: (options?: { refresh?: boolean }) => Promise<StoredLimits>;
  pull: () => Promise<void>;
  uploadPhotos: () => Promise<void>;
  counts: () => Promise<{ pending: number; queue: Mutation[]; blobs: Blob_[] }>;
  state: SyncState;
  clientId: () => Promise<string>;
  loadConfirmed: () => Promise<Confirmed>;
}

export interface SyncOptions {
  db: Db;
  api: Api;
  onChange?: () => void;
  now?: () => Date;
  locks?: LockManager | undefined;
}

export function createSync({ db, api, onChange = () => {}, now = () => new Date(), locks = globalThis.navigator?.locks }: SyncOptions): Sync {
  const exclusive = async (fn: () => Promise<void>): Promise<void> => {
    if (locks) await locks.request(LOCK, fn);
    else await fn();
  };
  let running: Promise<void> | null = null;
  let again = false;
  const state: SyncState = { syncing: false, lastError: null, lastSync: null };

  async function clientId(): Promise<string> {
    let id = await getMeta<string>(db, 'client_id');
    if (!id) {
      id = uuid();
      await setMeta(db, 'client_id', id);
    }
    return id;
  }

  /** `local` is kept on the queued record for the screen only (never sent to the server). */
  async function enqueue(name: string, args: Record<string, unknown>, local: Partial<Mutation> = {}): Promise<Mutation> {
    const record: NewMutation = {
      ...local,
      id: uuid(),
      name,
      args: { occurred_at: now().toISOString(), ...args },
      status: 'pending',
      created_at: now().toISOString(),
    };
    const seq = await db.queue.add(record);
    onChange();
    return { ...record, seq };
  }

  /** The server's documented push limits (its OpenAPI document), cached for a day. */
  async function pushLimits({ refresh = false } = {}): Promise<StoredLimits> {
    const cached = await getMeta<StoredLimits>(db, 'push_limits');
    if (!refresh && cached && now().getTime() - new Date(cached.at).getTime() < LIMITS_MAX_AGE_MS) return cached;
    let spec = null;
    try {
      spec = await api.get(OPENAPI_PATH);
    } catch (e) {
      if (cached) return cached;
      if (isNetworkError(e) || (e as HttpError).status >= 500) throw e; // offline: push later
    }
    const limits = { ...(limitsFromOpenApi(spec) || { maxItems: PUSH_BATCH, maxBytes: 256 * 1024 }), at: now().toISOString() };
    await setMeta(db, 'push_limits', limits);
    return limits;
  }

  async function refuse(m: Mutation, error: string): Promise<void> {
    const result = { id: m.id, status: 'rejected' as const, error, local: true as const };
    await db.queue.update(m.seq, { status: 'rejected', result });
    onChange();
  }

  async function push(): Promise<void> {
    const cid = await clientId();
    let limits = await pushLimits();
    const envelope = { client_id: cid, schema_version: SCHEMA_VERSION };
    const send = async (batch: Mutation[]): Promise<PushOut> => {
      try {
        return await ok(api.client.POST(PUSH_PATH, { body: { ...envelope, mutations: batch.map(wire) } }));
      } catch (e) {
        // The server says its cap is lower than we read: use its figure from now on.
        const cap = e instanceof HttpError && e.status === 413 ? e.body?.limit_bytes : null;
        if (typeof cap === 'number' && Number.isInteger(cap) && cap < limits.maxBytes) {
          limits = { ...limits, maxBytes: cap };
          await setMeta(db, 'push_limits', limits);
        }
        throw e;
      }
    };
    const answered = async (batch: Mutation[], answer: PushOut): Promise<boolean> => {
      const updated = applyPushResults(batch, answer?.results);
      const changed = updated.filter((m, i) => m !== batch[i]);
      await db.queue.bulkPut(changed);
      onChange();
      return changed.length === batch.length; // false: the server left some unanswered
    };
    const refused = (m: Mutation, e: { status?: number; message?: string }) => refuse(m, e.message || `HTTP ${e.status}`);
    for (;;) {
      const pending = await db.queue.where('status').equals('pending').sortBy('seq');
      if (!pending.length) return;
      const { batch, tooLarge } = packBatch(pending, envelope, limits, PUSH_BATCH);
      if (tooLarge) {
        const size = jsonBytes(wire(tooLarge.mutation));
        await refuse(tooLarge.mutation, `too large to send: ${size} bytes; the server takes at most ${limits.maxBytes} bytes in one push`);
        continue;
      }
      if (!(await sendIsolating(batch, { send, refused, answered }))) return; // retry later
    }
  }

  /** Upload photo bytes whose photo.register the server has taken (or already knows). */
  async function uploadPhotos(): Promise<void> {
    const waiting = await db.blobs.filter((b) => !b.uploaded).toArray();
    for (const b of waiting) {
      const reg = await db.queue.get({ id: b.mutation_id });
      if (reg && reg.status === 'pending') continue; // register first, then bytes
      const form = new FormData();
      form.append('id', b.id);
      form.append('sha256', b.sha256);
      form.append('file', new Blob([b.bytes ?? new ArrayBuffer(0)], { type: b.content_type }), `${b.id}.jpg`);
      try {
        await api.request('POST', `/api/v1/tickets/${b.ticket_id}/photos`, { form });
        await db.blobs.update(b.id, { uploaded: true, bytes: null, error: null });
      } catch (e) {
        if (!(e instanceof HttpError) || e.status >= 500 || e.status === 401) throw e;
        // A 4xx (e.g. hash mismatch) would fail forever: keep the bytes and show the reason.
        await db.blobs.update(b.id, { error: e.message, status: e.status });
      }
      onChange();
    }
  }

  async function pull(): Promise<void> {
    let cursor = await getMeta<string>(db, 'cursor');
    let last: components['schemas']['PullOut'] | null = null;
    const cid = await clientId();
    for (let page = 0; page < 10000; page++) {
      const query = { limit: PULL_LIMIT, client_id: cid, ...(cursor ? { cursor } : {}) };
      const data = await ok(api.client.GET('/api/v1/sync/pull', { params: { query } }));
      await storePullPage(db, data as PullPage, { clear: !!data.reset && page === 0 });
      cursor = data.cursor;
      last = data;
      if (!data.has_more) break;
    }
    const queue = await db.queue.toArray();
    const drop = ackedToDrop(queue, last?.last_mutation_id);
    if (drop.length) await db.queue.where('id').anyOf(drop).delete();
    await setMeta(db, 'last_sync', now().toISOString());
    onChange();
  }

  async function runOnce(): Promise<void> {
    state.syncing = true;
    onChange();
    try {
      await push();
      await uploadPhotos();
      await pull();
      // Photos registered in this round can upload now that the pull settled their state.
      await uploadPhotos();
      state.lastError = null;
      state.lastSync = now().toISOString();
    } catch (e) {
      state.lastError = e instanceof HttpError ? e.message : 'offline';
      if (!(isNetworkError(e) || e instanceof HttpError)) throw e;
    } finally {
      state.syncing = false;
      onChange();
    }
  }

  /** Run a sync; concurrent callers share it, and a request during a run triggers one more. */
  function sync(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await exclusive(runOnce);
      } while (again);
    })().finally(() => {
      running = null;
    });
    return running;
  }

  async function counts() {
    const [queue, blobs] = await Promise.all([db.queue.toArray(), db.blobs.toArray()]);
    return { pending: pendingCount(queue, blobs), queue, blobs };
  }

  return { enqueue, sync, push, pushLimits, pull, uploadPhotos, counts, state, clientId, loadConfirmed: () => loadConfirmed(db) };
}
