import { describe, expect, it } from 'vitest';
import {
  ackedToDrop, applyPullPage, applyPushResults, buildView, childrenOf, conflictList, pendingCount,
} from '../src/app/replay.js';

const T1 = 't1';
const confirmed = () => ({
  tickets: { [T1]: { id: T1, status: 'assigned', version: 3, assignee_id: 'u1' } },
  notes: { n0: { id: 'n0', ticket_id: T1, body: 'old', created_at: '2026-01-01T00:00:00Z' } },
});
let seq = 0;
const m = (name, args, status = 'pending') => ({ id: `m${++seq}`, seq, name, args, status });

describe('buildView replays pending mutations on confirmed state', () => {
  it('walks the state machine through queued transitions in order', () => {
    const q = ['accept', 'start_travel', 'arrive', 'start_work'].map((action) =>
      m('ticket.transition', { ticket_id: T1, action }),
    );
    const view = buildView(confirmed(), q);
    expect(view.tickets[T1].status).toBe('in_progress');
    expect(view.tickets[T1]._pending).toBe(true);
    expect(view.tickets[T1].version).toBe(7);
  });

  it('does not touch confirmed state (pure)', () => {
    const c = confirmed();
    buildView(c, [m('ticket.transition', { ticket_id: T1, action: 'accept' })]);
    expect(c.tickets[T1].status).toBe('assigned');
  });

  it('marks a transition that is invalid from the confirmed status as stale, not applied', () => {
    const view = buildView(confirmed(), [m('ticket.transition', { ticket_id: T1, action: 'complete' })]);
    expect(view.tickets[T1].status).toBe('assigned');
    expect(view.tickets[T1]._stale).toBe(true);
  });

  it('never replays conflicted or rejected mutations', () => {
    const q = [
      m('ticket.transition', { ticket_id: T1, action: 'accept' }, 'conflict'),
      m('note.add', { id: 'n1', ticket_id: T1, body: 'x' }, 'rejected'),
    ];
    const view = buildView(confirmed(), q);
    expect(view.tickets[T1].status).toBe('assigned');
    expect(view.notes.n1).toBeUndefined();
  });

  it('adds pending children (notes, photos, parts, signoff) with their client ids', () => {
    const q = [
      m('note.add', { id: 'n1', ticket_id: T1, body: 'fixed', occurred_at: '2026-01-02T00:00:00Z' }),
      m('photo.register', { id: 'p1', ticket_id: T1, sha256: 'ab', content_type: 'image/jpeg', size: 3 }),
      m('part.consume', { id: 'u1', ticket_id: T1, part_id: 'P', quantity: 2, location_id: 'L' }),
      m('signoff.submit', { id: 's1', ticket_id: T1, signer_name: 'Ann', signature: { strokes: [] } }),
    ];
    const view = buildView(confirmed(), q);
    expect(childrenOf(view, 'notes', T1).map((n) => n.body)).toEqual(['old', 'fixed']);
    expect(view.photos.p1.uploaded).toBe(false);
    expect(view.part_usages.u1.quantity).toBe(2);
    expect(view.signoffs.s1._pending).toBe(true);
  });

  it('prefers the confirmed row once the pull brought it (no double note)', () => {
    const c = confirmed();
    c.notes.n1 = { id: 'n1', ticket_id: T1, body: 'fixed (server)', created_at: '2026-01-02T00:00:00Z' };
    const view = buildView(c, [m('note.add', { id: 'n1', ticket_id: T1, body: 'fixed' }, 'acked')]);
    expect(childrenOf(view, 'notes', T1)).toHaveLength(2);
    expect(view.notes.n1.body).toBe('fixed (server)');
  });

  it('skips transitions for a job the pull removed (reassigned away)', () => {
    const c = confirmed();
    delete c.tickets[T1];
    const view = buildView(c, [m('ticket.transition', { ticket_id: T1, action: 'accept' })]);
    expect(view.tickets[T1]).toBeUndefined();
  });

  it('resume returns to the status the job was held from', () => {
    const c = confirmed();
    c.tickets[T1].status = 'on_site';
    const q = [
      m('ticket.transition', { ticket_id: T1, action: 'hold', reason: 'parts' }),
      m('ticket.transition', { ticket_id: T1, action: 'resume' }),
    ];
    expect(buildView(c, q).tickets[T1].status).toBe('on_site');
  });
});

describe('push answers', () => {
  const batch = [m('note.add', { id: 'a' }), m('note.add', { id: 'b' }), m('note.add', { id: 'c' }),
    m('note.add', { id: 'd' }), m('note.add', { id: 'e' })];
  it('maps every per-mutation status and keeps unanswered ones pending', () => {
    const [a, b, c, d, e] = batch;
    const out = applyPushResults(batch, [
      { id: a.id, status: 'applied' },
      { id: b.id, status: 'conflict', conflict_id: 'c1' },
      { id: c.id, status: 'rejected', error: 'bad quantity' },
      { id: d.id, status: 'duplicate' },
    ]);
    expect(out.map((x) => x.status)).toEqual(['acked', 'conflict', 'rejected', 'acked', 'pending']);
    expect(out[2].result.error).toBe('bad quantity');
    expect(out[4]).toBe(e);
  });

  it('a duplicate of a conflicted mutation stays a conflict', () => {
    const out = applyPushResults([batch[0]], [{ id: batch[0].id, status: 'duplicate', conflict_id: 'c9' }]);
    expect(out[0].status).toBe('conflict');
  });

  it('unknown statuses never drop a mutation', () => {
    const out = applyPushResults([batch[0]], [{ id: batch[0].id, status: 'weird' }]);
    expect(out[0].status).toBe('pending');
  });
});

describe('conflicts, counts and acked cleanup', () => {
  it('lists failed queue entries and server conflicts without duplicates', () => {
    const q = [m('note.add', { id: 'x', ticket_id: T1 }, 'conflict'), m('note.add', { id: 'y', ticket_id: T1 }, 'rejected')];
    q[1].result = { error: 'too long' };
    const c = { conflicts: { c1: { id: 'c1', ticket_id: T1, mutation_id: q[0].id, kind: 'reassigned' } } };
    const list = conflictList(c, q);
    expect(list).toHaveLength(2);
    expect(list.find((x) => x.status === 'rejected').message).toBe('too long');
  });

  it('counts pending mutations and photo bytes still to upload', () => {
    const q = [m('note.add', {}), m('note.add', {}, 'acked'), m('note.add', {}, 'conflict')];
    expect(pendingCount(q, [{ uploaded: false }, { uploaded: true }])).toBe(2);
  });

  it('drops acked mutations up to the server last_mutation_id only', () => {
    const q = [m('a', {}, 'acked'), m('b', {}, 'acked'), m('c', {}, 'acked'), m('d', {}, 'pending')];
    expect(ackedToDrop(q, q[1].id)).toEqual([q[0].id, q[1].id]);
    expect(ackedToDrop(q, 'an-older-one')).toEqual([q[0].id, q[1].id, q[2].id]);
  });

  it('keeps every acked mutation while the pull has not brought the last one (null)', () => {
    const q = [m('a', {}, 'acked'), m('b', {}, 'acked'), m('c', {}, 'pending')];
    expect(ackedToDrop(q, null)).toEqual([]);
    expect(ackedToDrop(q, undefined)).toEqual([]);
  });
});

describe('pull pages', () => {
  it('upserts and removes; reset replaces everything', () => {
    let c = applyPullPage(confirmed(), {
      changes: { tickets: { upserts: [{ id: 't2', status: 'assigned' }], removes: [T1] }, notes: { removes: ['n0'] } },
    });
    expect(Object.keys(c.tickets)).toEqual(['t2']);
    expect(c.notes).toEqual({});
    c = applyPullPage(c, { reset: true, changes: { tickets: { upserts: [{ id: 't3' }] } } });
    expect(Object.keys(c.tickets)).toEqual(['t3']);
  });
});
