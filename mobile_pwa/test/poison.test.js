// A mutation the server refuses must never stall the outbox: batches are packed by the
// server's documented byte and count limits, a batch refused for its content is split until
// the refused mutation is alone, that one is kept (never dropped) with the server's reason,
// and everything else reaches the server exactly once, in order.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi } from '../src/lib/api.js';
import { openDb } from '../src/app/db.js';
import { createSync } from '../src/app/sync.js';
import { isPoisonStatus, jsonBytes, limitsFromOpenApi, mutationText, packBatch, sendIsolating } from '../src/app/outbox.js';
import { conflictList } from '../src/app/replay.js';

const MAX_BYTES = 4000;

/** A server with the real push rules that matter here: a byte cap (413), a batch-level 422
 * for a mutation it cannot even parse, idempotency, and an OpenAPI document with the limits. */
function fakeServer({ maxBytes = MAX_BYTES, maxItems = 50, publish = true } = {}) {
  const s = { log: [], seen: new Set(), pushes: [], maxBytes };
  const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  s.fetch = async (url, init = {}) => {
    const u = new URL(url, 'http://x');
    if (u.pathname === '/api/v1/openapi.json') {
      if (!publish) return json(404, { message: 'no docs' });
      return json(200, {
        paths: { '/api/v1/sync/push': { post: { requestBody: { 'x-max-body-bytes': s.maxBytes } } } },
        components: { schemas: { PushIn: { properties: { mutations: { maxItems } } } } },
      });
    }
    if (u.pathname === '/api/v1/sync/push') {
      const size = new TextEncoder().encode(init.body).length;
      const body = JSON.parse(init.body);
      s.pushes.push(body.mutations.map((m) => m.args?.id ?? m.id));
      if (size > s.maxBytes) return json(413, { code: 413, message: `request body is ${size} bytes`, limit_bytes: s.maxBytes });
      if (body.mutations.length > maxItems) return json(422, { code: 422, message: 'too many' });
      const bad = body.mutations.find((m) => m.args?.poison);
      if (bad) return json(422, { code: 422, message: `mutations.args: cannot parse ${bad.args.body}` });
      const results = body.mutations.map((m) => {
        if (s.seen.has(m.id)) return { id: m.id, status: 'duplicate' };
        s.seen.add(m.id);
        if (m.args.body?.includes('\ud83d') && !m.args.body.includes('\ud83d\ude00')) {
          return { id: m.id, status: 'rejected', error: 'body: contains a lone UTF-16 surrogate' };
        }
        s.log.push(m.args.id);
        return { id: m.id, status: 'applied' };
      });
      s.last = body.mutations.at(-1).id;
      return json(200, { last_mutation_id: body.mutations.at(-1).id, results });
    }
    if (u.pathname === '/api/v1/sync/pull') {
      // Like the server: the last pushed mutation, whose effect this pull holds.
      return json(200, { cursor: 'c', has_more: false, reset: false, last_mutation_id: s.last ?? null, changes: {} });
    }
    return json(404, { message: 'nope' });
  };
  return s;
}

let server, db, sync;
const note = (id, body, extra = {}) => sync.enqueue('note.add', { id, ticket_id: 't1', body, ...extra });

function setup(opts) {
  server = fakeServer(opts);
  globalThis.fetch = server.fetch;
  db = openDb(`p-${Math.random()}`);
  sync = createSync({ db, api: createApi({ getTokens: () => ({ access_token: 'a' }) }) });
}
beforeEach(() => setup());
afterEach(() => db.close());

describe('packing by the server\'s documented limits', () => {
  it('reads the limits from the OpenAPI document', () => {
    const spec = {
      paths: { '/api/v1/sync/push': { post: { requestBody: { 'x-max-body-bytes': 5696988 } } } },
      components: { schemas: { PushIn: { properties: { mutations: { maxItems: 2000 } } } } },
    };
    expect(limitsFromOpenApi(spec)).toEqual({ maxItems: 2000, maxBytes: 5696988 });
    expect(limitsFromOpenApi({ paths: {} })).toBe(null);
  });

  it('packs by bytes as well as count, counting UTF-8 as sent', () => {
    const env = { client_id: 'c', schema_version: 1 };
    const ms = Array.from({ length: 6 }, (_, i) => ({ id: `m${i}`, name: 'note.add', args: { body: '😀'.repeat(250) } }));
    const one = jsonBytes({ id: 'm0', name: 'note.add', args: { body: '😀'.repeat(250) } });
    expect(one).toBeGreaterThan(1000); // 4 bytes an emoji, not 2 UTF-16 units
    const { batch } = packBatch(ms, env, { maxItems: 100, maxBytes: 3 * one + 60 });
    expect(batch.map((m) => m.id)).toEqual(['m0', 'm1', 'm2']);
    expect(jsonBytes({ ...env, mutations: batch })).toBeLessThanOrEqual(3 * one + 60);
    expect(packBatch(ms, env, { maxItems: 2, maxBytes: 1e9 }).batch).toHaveLength(2);
    expect(packBatch(ms, env, { maxItems: 100, maxBytes: 1e9 }, 4).batch).toHaveLength(4);
    const huge = packBatch(ms, env, { maxItems: 100, maxBytes: 500 });
    expect(huge.batch).toEqual([]);
    expect(huge.tooLarge.mutation.id).toBe('m0');
  });

  it('only content-caused 4xx answers split a batch', () => {
    for (const s of [400, 413, 415, 422]) expect(isPoisonStatus(s)).toBe(true);
    for (const s of [401, 403, 404, 409, 429, 500, 503, undefined]) expect(isPoisonStatus(s)).toBe(false);
  });

  it('bisects to the refused mutation with few requests, in order', async () => {
    const sent = [];
    const refused = [];
    const ids = Array.from({ length: 16 }, (_, i) => i);
    await sendIsolating(ids, {
      send: async (b) => {
        sent.push(b);
        if (b.includes(11)) throw Object.assign(new Error('bad'), { status: 422 });
        return b;
      },
      refused: async (m) => refused.push(m),
      answered: async () => true,
    });
    expect(refused).toEqual([11]);
    expect(sent.filter((b) => !b.includes(11)).flat()).toEqual(ids.filter((i) => i !== 11));
    expect(sent.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(16)) + 1);
  });

  it('shows the words of a mutation', () => {
    expect(mutationText({ name: 'note.add', args: { body: 'hi' } })).toBe('hi');
    expect(mutationText({ name: 'ticket.transition', args: { action: 'hold', reason: 'parts' } })).toBe('hold: parts');
  });
});

describe('no mutation stalls the outbox', () => {
  it('five long notes go in several pushes, never a 413', async () => {
    for (let i = 0; i < 5; i++) await note(`n${i}`, '😀'.repeat(400)); // 1,600 bytes each
    await sync.sync();
    expect(server.log).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    expect(server.pushes.length).toBeGreaterThan(1);
    expect(await db.queue.count()).toBe(0);
  });

  it('isolates a batch-refusing mutation, keeps it with its text and the reason, sends the rest once', async () => {
    await note('a', 'first');
    await note('b', 'second');
    await note('bad', 'cannot be parsed', { poison: true });
    await note('c', 'third');
    await note('d', 'fourth');
    await sync.sync();
    await sync.sync(); // a second run sends nothing again and refuses nothing more
    expect(server.log).toEqual(['a', 'b', 'c', 'd']);
    const q = await db.queue.toArray();
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({ status: 'rejected', args: { id: 'bad', body: 'cannot be parsed' } });
    expect(q[0].result.error).toContain('cannot parse');
    const pushesOfBad = server.pushes.filter((b) => b.includes('bad')).length;
    await sync.sync();
    expect(server.pushes.filter((b) => b.includes('bad')).length).toBe(pushesOfBad);
    const [shown] = conflictList({}, q);
    expect(shown).toMatchObject({ status: 'rejected', name: 'note.add' });
  });

  it('a mutation too large for any push is kept and shown without being sent', async () => {
    await note('a', 'first');
    await note('big', 'x'.repeat(MAX_BYTES + 10));
    await note('b', 'after');
    await sync.sync();
    expect(server.log).toEqual(['a', 'b']);
    expect(server.pushes.flat()).not.toContain('big');
    const [kept] = await db.queue.toArray();
    expect(kept.status).toBe('rejected');
    expect(kept.result.error).toMatch(/too large to send/);
    expect(kept.args.body).toHaveLength(MAX_BYTES + 10);
  });

  it('a server whose real cap is lower than published: the 413 is isolated and the cap learned', async () => {
    setup({ maxBytes: 100_000 });
    await sync.pushLimits(); // published 100,000
    server.maxBytes = 2500; // ...but now refuses above 2,500
    for (let i = 0; i < 4; i++) await note(`n${i}`, 'y'.repeat(1000));
    await sync.sync();
    expect(server.log).toEqual(['n0', 'n1', 'n2', 'n3']);
    expect((await sync.pushLimits()).maxBytes).toBe(2500);
  });

  it('a lone surrogate answered rejected is kept with its text', async () => {
    await note('a', 'ok');
    await note('half', 'half an emoji \ud83d');
    await note('b', 'whole 😀');
    await sync.sync();
    expect(server.log).toEqual(['a', 'b']);
    const [kept] = await db.queue.toArray();
    expect(kept).toMatchObject({ status: 'rejected', args: { body: 'half an emoji \ud83d' } });
  });

  it('without published limits it still never stalls (older server)', async () => {
    setup({ publish: false });
    await note('a', 'ok');
    await note('bad', 'x', { poison: true });
    await note('b', 'ok');
    await sync.sync();
    expect(server.log).toEqual(['a', 'b']);
  });
});
