// Outbox tests against real IndexedDB semantics (fake-indexeddb) and a small in-memory server
// that speaks the push/pull protocol of docs/sync-protocol.md, including its failure answers.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi } from '../src/lib/api.js';
import { openDb } from '../src/app/db.js';
import { createSync, PUSH_BATCH } from '../src/app/sync.js';

function fakeServer() {
  const s = {
    applied: new Map(), // mutation id -> result (idempotency)
    log: [], // applied mutations in order
    tickets: { t1: { id: 't1', status: 'assigned', version: 1 } },
    notes: {},
    pushStatus: 200,
    verdict: () => 'applied',
    photos: {},
    pushes: 0,
    down: false,
    latencyMs: 0, // a push that takes network time lets two outboxes overlap
  };
  s.fetch = async (url, init = {}) => {
    if (s.down) throw new TypeError('Failed to fetch');
    const u = new URL(url, 'http://x');
    const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
    if (u.pathname === '/api/v1/sync/push') {
      s.pushes += 1;
      if (s.latencyMs) await new Promise((r) => setTimeout(r, s.latencyMs));
      if (s.pushStatus !== 200) return json(s.pushStatus, { code: s.pushStatus, message: 'try later' });
      const body = JSON.parse(init.body);
      const results = body.mutations.map((m) => {
        if (s.applied.has(m.id)) return { id: m.id, status: 'duplicate' };
        const status = s.verdict(m);
        s.applied.set(m.id, status);
        if (status === 'applied') {
          s.log.push(m);
          if (m.name === 'note.add') s.notes[m.args.id] = { ...m.args };
        }
        return { id: m.id, status, ...(status === 'conflict' ? { conflict_id: `c-${m.id}` } : {}) };
      });
      s.last = body.mutations.at(-1).id;
      return json(200, { last_mutation_id: body.mutations.at(-1).id, results });
    }
    if (u.pathname === '/api/v1/sync/pull') {
      // Like the server: the last pushed mutation, whose effect this pull holds.
      return json(200, { cursor: 'c1', has_more: false, reset: !u.searchParams.get('cursor'), last_mutation_id: s.last ?? null,
        changes: { tickets: { upserts: Object.values(s.tickets), removes: [] }, notes: { upserts: Object.values(s.notes), removes: [] } } });
    }
    const photo = u.pathname.match(/^\/api\/v1\/tickets\/(\w+)\/photos$/);
    if (photo) {
      const id = init.body.get('id');
      s.photos[id] = (s.photos[id] || 0) + 1;
      return json(201, { id, status: 'uploaded' });
    }
    return json(404, { message: 'nope' });
  };
  return s;
}

let server, db, sync, name;
const makeSync = () => createSync({ db, api: createApi({ getTokens: () => ({ access_token: 'a' }) }) });

beforeEach(() => {
  server = fakeServer();
  globalThis.fetch = server.fetch;
  name = `t-${Math.random()}`;
  db = openDb(name);
  sync = makeSync();
});
afterEach(async () => { db.close(); });

describe('outbox', () => {
  it('pushes in order, then pulls confirmed state and drops acked mutations', async () => {
    await sync.enqueue('note.add', { id: 'n1', ticket_id: 't1', body: 'a' });
    await sync.enqueue('note.add', { id: 'n2', ticket_id: 't1', body: 'b' });
    await sync.sync();
    expect(server.log.map((m) => m.args.id)).toEqual(['n1', 'n2']);
    expect(await db.queue.count()).toBe(0);
    const confirmed = await sync.loadConfirmed();
    expect(Object.keys(confirmed.notes).sort()).toEqual(['n1', 'n2']);
  });

  it('keeps screen-only fields on the queued record but never sends them', async () => {
    let sent;
    const inner = server.fetch;
    globalThis.fetch = async (url, init = {}) => {
      if (String(url).includes('/sync/push')) sent = JSON.parse(init.body);
      return inner(url, init);
    };
    server.verdict = () => 'conflict';
    await sync.enqueue('note.add', { id: 'n1', ticket_id: 't1', body: 'a' }, { ticket_label: '#7 Oven', id: 'x' });
    const [queued] = await db.queue.toArray();
    expect(queued.ticket_label).toBe('#7 Oven');
    expect(queued.id).not.toBe('x'); // a local field cannot replace the client id
    await sync.sync();
    expect(Object.keys(sent.mutations[0]).sort()).toEqual(['args', 'id', 'name']);
    const [kept] = await db.queue.toArray();
    expect(kept).toMatchObject({ status: 'conflict', ticket_label: '#7 Oven' });
  });

  it('keeps the whole batch queued on a non-2xx answer, then delivers each exactly once', async () => {
    await sync.enqueue('note.add', { id: 'n1', ticket_id: 't1', body: 'a' });
    server.pushStatus = 503;
    await sync.sync();
    expect((await db.queue.toArray()).map((m) => m.status)).toEqual(['pending']);
    server.pushStatus = 200;
    await sync.sync();
    await sync.sync();
    expect(server.log).toHaveLength(1);
    expect(await db.queue.count()).toBe(0);
  });

  it('keeps the queue when the network is down', async () => {
    server.down = true;
    await sync.enqueue('note.add', { id: 'n1', ticket_id: 't1', body: 'a' });
    await sync.sync();
    expect(sync.state.lastError).toBe('offline');
    expect(await db.queue.count()).toBe(1);
  });

  it('keeps conflict and rejected answers visible, never dropped', async () => {
    server.verdict = (m) => (m.args.body === 'bad' ? 'rejected' : m.name === 'ticket.transition' ? 'conflict' : 'applied');
    await sync.enqueue('ticket.transition', { ticket_id: 't1', action: 'accept', base_version: 1 });
    await sync.enqueue('note.add', { id: 'n1', ticket_id: 't1', body: 'bad' });
    await sync.enqueue('note.add', { id: 'n2', ticket_id: 't1', body: 'good' });
    await sync.sync();
    await sync.sync();
    const q = await db.queue.orderBy('seq').toArray();
    expect(q.map((m) => m.status)).toEqual(['conflict', 'rejected']);
    expect(q[0].result.conflict_id).toBeTruthy();
  });

  it('page and service worker take turns: a batch is pushed once, not by both', async () => {
    // A Web Locks stand-in with the same contract: request(name, fn) runs fn alone.
    const held = new Map();
    const locks = {
      request(lockName, fn) {
        const run = (held.get(lockName) || Promise.resolve()).then(() => fn());
        held.set(lockName, run.catch(() => {}));
        return run;
      },
    };
    const outbox = (withLocks) =>
      createSync({ db, api: createApi({ getTokens: () => ({ access_token: 'a' }) }), locks: withLocks });
    server.latencyMs = 30;
    const run = async (withLocks) => {
      const [page, worker] = [outbox(withLocks), outbox(withLocks)];
      await page.enqueue('note.add', { id: `n-${server.pushes}`, ticket_id: 't1', body: 'a' });
      const before = server.pushes;
      await Promise.all([page.sync(), worker.sync()]);
      return server.pushes - before;
    };
    expect(await run(null)).toBe(2); // without the lock both send the same batch
    expect(await run(locks)).toBe(1);
    expect(server.log).toHaveLength(2); // and the server's idempotency kept it exactly once
    expect(await db.queue.count()).toBe(0);
  });

  it('survives a reload: a new outbox on the same database sends the old queue', async () => {
    server.down = true;
    await sync.enqueue('note.add', { id: 'n1', ticket_id: 't1', body: 'a' });
    db.close();
    db = openDb(name);
    sync = makeSync();
    server.down = false;
    expect(await db.queue.count()).toBe(1);
    await sync.sync();
    expect(server.log.map((m) => m.args.id)).toEqual(['n1']);
  });

  it('uploads photo bytes only after photo.register was answered, once', async () => {
    const rec = await sync.enqueue('photo.register', { id: 'p1', ticket_id: 't1', sha256: 'ab', content_type: 'image/jpeg', size: 3 });
    await db.blobs.put({ id: 'p1', ticket_id: 't1', sha256: 'ab', content_type: 'image/jpeg', bytes: new Uint8Array([1, 2, 3]).buffer, uploaded: false, mutation_id: rec.id });
    server.down = true;
    await sync.sync();
    expect(server.photos.p1).toBeUndefined();
    server.down = false;
    await sync.sync();
    await sync.sync();
    expect(server.photos.p1).toBe(1);
    expect((await db.blobs.get('p1')).uploaded).toBe(true);
  });

  it(`sends a long queue in batches of ${PUSH_BATCH}`, async () => {
    for (let i = 0; i < 250; i++) await sync.enqueue('note.add', { id: `n${i}`, ticket_id: 't1', body: String(i) });
    await sync.sync();
    expect(server.pushes).toBe(3);
    expect(server.log.map((m) => m.args.id)).toEqual(Array.from({ length: 250 }, (_, i) => `n${i}`));
    expect(await db.queue.count()).toBe(0);
  });

  it('concurrent sync calls share one run', async () => {
    await sync.enqueue('note.add', { id: 'n1', ticket_id: 't1', body: 'a' });
    await Promise.all([sync.sync(), sync.sync(), sync.sync()]);
    expect(server.log).toHaveLength(1);
  });
});
