// Issue #12: the engineer app's rules come from the server, and the defects a user found in
// Chromium that are pure logic (each of these failed before its fix).
import { describe, expect, it } from 'vitest';
import rules from '../src/app/rules.gen.json';
import { missing, requirements } from '../src/app/completion.js';
import { buildView, conflictList } from '../src/app/replay.js';
import { actionsFor, allowedActions } from '../src/app/states.js';
import { countLabel, dueText, relativeTime } from '../src/app/timefmt.js';
import { setLanguage } from '../src/lib/i18n.js';
import type { Confirmed, Mutation, MutationStatus, Ticket } from '../src/app/types.js';

const T1 = 't1';
let seq = 0;
const m = (name: string, args: Record<string, unknown>, status: MutationStatus = 'pending'): Mutation =>
  ({ id: `m${++seq}`, seq, name, args, status });
// Fixtures carry only the fields a rule reads; the rest of a pulled row does not matter here.
const state = (rows: Record<string, Record<string, object>>): Confirmed => rows as unknown as Confirmed;
const ticket = (row: object): Ticket => row as unknown as Ticket;

describe('the state machine comes from the server', () => {
  it('offers the actions the server sent with the ticket', () => {
    const tk = ticket({ id: T1, status: 'accepted', allowed_actions: ['start_travel'] });
    expect(allowedActions(tk)).toEqual(['start_travel']);
  });

  it('after an offline action derives the next ones from the generated table', () => {
    const confirmed = state({ tickets: { [T1]: { id: T1, status: 'assigned', version: 1, allowed_actions: ['accept', 'reject'] } } });
    const view = buildView(confirmed, [m('ticket.transition', { ticket_id: T1, action: 'accept' })]);
    const tk = view.tickets[T1]!;
    expect(tk.status).toBe('accepted');
    const fromTable = Object.entries(rules.states.transitions)
      .filter(([, tr]) => (tr.from as string[]).includes('accepted')).map(([a]) => a);
    expect(allowedActions(tk)).toEqual(fromTable);
    expect(allowedActions(tk)).toEqual(['start_travel', 'hold']);
    expect(actionsFor('on_hold')).toEqual(['resume']);
  });

  it('resumes to the status the job was held from, as the server table says', () => {
    const confirmed = state({ tickets: { [T1]: { id: T1, status: 'on_site', version: 1 } } });
    const view = buildView(confirmed, [
      m('ticket.transition', { ticket_id: T1, action: 'hold', reason: 'parts' }),
      m('ticket.transition', { ticket_id: T1, action: 'resume' }),
    ]);
    expect(view.tickets[T1]?.status).toBe('on_site');
  });
});

describe('completion requirements come from the server', () => {
  it('uses the generated defaults, not a hand copy, for a ticket without its own', () => {
    expect(requirements(ticket({ id: T1, priority: 'P3' }))).toEqual(rules.completion_default);
  });

  it('evaluates what is cached offline: a queued signature and parts statement satisfy it', () => {
    const tk = { id: T1, status: 'in_progress', version: 1, completion: { requirements: { signature: true, photos: 1, parts: true } } };
    let view = buildView(state({ tickets: { [T1]: tk } }), []);
    expect(missing(view, view.tickets[T1]!)).toEqual(['signature', 'photos', 'parts']);
    view = buildView(state({ tickets: { [T1]: tk } }), [
      m('photo.register', { id: 'p1', ticket_id: T1 }),
      m('part.none_used', { id: 's1', ticket_id: T1 }),
    ]);
    expect(missing(view, view.tickets[T1]!)).toEqual(['signature']);
  });
});

describe('what the engineer sees', () => {
  it('an overdue SLA reads "68 h overdue", not "-68 h"', () => {
    setLanguage('en', false);
    const now = Date.parse('2026-03-04T12:00:00Z');
    expect(dueText('2026-03-01T16:00:00Z', now)).toEqual({ text: '68 h overdue', late: true });
    expect(dueText('2026-03-04T14:05:00Z', now)).toEqual({ text: 'in 2 h 5 min', late: false });
    setLanguage('zh-CN', false);
    expect(dueText('2026-03-01T16:00:00Z', now).text).toBe('已超时 68 小时');
    setLanguage('en', false);
  });

  it('"Last sync" is relative and local', () => {
    const now = Date.parse('2026-03-04T12:00:00Z');
    expect(relativeTime('2026-03-04T11:58:00Z', now)).toBe('2 minutes ago');
    expect(relativeTime('2026-03-04T11:59:58Z', now)).toBe('just now');
    expect(relativeTime(null, now)).toBe('never');
  });

  it('pluralizes counts', () => {
    expect(countLabel(1, 'conflicts')).toBe('1 conflict');
    expect(countLabel(3, 'conflicts')).toBe('3 conflicts');
  });

  it('queued transitions join the history', () => {
    const confirmed = state({ tickets: { [T1]: { id: T1, status: 'assigned', version: 1,
      history: [{ from_status: 'new', to_status: 'assigned', at: '2026-03-01T10:00:00Z' }] } } });
    const view = buildView(confirmed, [
      m('ticket.transition', { ticket_id: T1, action: 'accept', occurred_at: '2026-03-01T11:00:00Z' }),
      m('ticket.transition', { ticket_id: T1, action: 'start_travel', occurred_at: '2026-03-01T11:05:00Z' }),
    ]);
    expect(view.tickets[T1]?.history.map((e) => [e.from_status, e.to_status, !!e._pending])).toEqual([
      ['new', 'assigned', false], ['assigned', 'accepted', true], ['accepted', 'en_route', true],
    ]);
  });

  it('van stock goes down when a part is used offline, and not twice once the server has it', () => {
    const level = { id: 'l1', part_id: 'p', location_id: 'van', quantity: '10.000' };
    const use = m('part.consume', { id: 'u1', ticket_id: T1, part_id: 'p', location_id: 'van', quantity: 2 });
    const view = buildView(state({ tickets: {}, stock_levels: { l1: level } }), [use]);
    expect(Number(view.stock_levels?.l1?.quantity)).toBe(8);
    const synced = buildView(state({ tickets: {}, stock_levels: { l1: { ...level, quantity: '8.000' } },
      part_usages: { u1: { id: 'u1', ticket_id: T1, part_id: 'p', quantity: '2' } } }), [{ ...use, status: 'acked' }]);
    expect(Number(synced.stock_levels?.l1?.quantity)).toBe(8);
  });

  it('a conflict from the server can be acknowledged, and one the dispatcher resolved does not count', () => {
    const confirmed = state({ conflicts: {
      c1: { id: 'c1', ticket_id: T1, mutation_name: 'note.add', kind: 'evidence_after_reassign', resolution: null },
      c2: { id: 'c2', ticket_id: T1, mutation_name: 'ticket.transition', kind: 'stale', resolution: 'keep_server' },
    } });
    const open = (acked: Set<string>) => conflictList(confirmed, [], acked).filter((c) => !c.acknowledged).map((c) => c.key);
    expect(open(new Set())).toEqual(['c:c1']);
    expect(open(new Set(['c:c1']))).toEqual([]);
  });
});
