// The screen shows confirmed server state (from sync/pull) with the pending mutations replayed
// on top. Pure functions over plain objects, so the rules are unit-tested without a browser.
//
// confirmed: { kind: { id: row } } as last pulled.  queue: mutation records in creation order
// ({id, seq, name, args, status}). status is 'pending' (not yet answered), 'acked' (applied on
// the server, waiting for the pull that brings its effect), 'conflict' or 'rejected' (kept and
// shown, never replayed: the server did not take it).

import type { components } from '../lib/api.js';
import { checkAnswer, itemsOf } from './checklist.js';
import { definitionOf, missing } from './completion.js';
import { actionsFor, nextStatus } from './states.js';
import type { Blob_, Confirmed, ConflictRow, HistoryEntry, Mutation, MutationStatus, Queued, State, StockRow } from './types.js';

export const REPLAYED: ReadonlySet<MutationStatus> = new Set<MutationStatus>(['pending', 'acked']);
export const FAILED: ReadonlySet<MutationStatus> = new Set<MutationStatus>(['conflict', 'rejected']);

const CHILD_KIND: Record<string, 'notes' | 'photos' | 'part_usages' | 'signoffs' | 'parts_statements'> = {
  'note.add': 'notes',
  'photo.register': 'photos',
  'part.consume': 'part_usages',
  'signoff.submit': 'signoffs',
  'part.none_used': 'parts_statements',
};

function cloneKinds(confirmed: Confirmed | null | undefined): State {
  const view: Confirmed = {};
  for (const [kind, rows] of Object.entries(confirmed || {})) view[kind] = { ...rows };
  view.tickets ||= {};
  for (const kind of Object.values(CHILD_KIND)) view[kind] ||= {};
  view.checklist_answers ||= {};
  return view as State;
}

/** Confirmed state + replayable mutations -> the state the engineer sees. */
export function buildView(confirmed: Confirmed | null | undefined, queue: readonly Mutation[] | null | undefined): State {
  const view = cloneKinds(confirmed);
  const ordered = [...(queue || [])].sort((a, b) => a.seq - b.seq);
  for (const m of ordered) {
    if (!REPLAYED.has(m.status)) continue;
    applyMutation(view, m);
  }
  return view;
}

export function applyMutation(view: State, m: Mutation): State {
  const a = m.args || {};
  const pending = m.status === 'pending';
  if (m.name === 'ticket.transition') {
    const ticket = view.tickets[a.ticket_id];
    if (!ticket) return view; // removed (e.g. reassigned away): the server will judge it
    const to = nextStatus(a.action, ticket.status, ticket.held_from);
    if (!to) {
      view.tickets[a.ticket_id] = { ...ticket, _stale: true };
      return view;
    }
    // The history shows the queued change too, and the buttons come from the server's table
    // for the new status (the ticket's own allowed_actions were for the status it had).
    const event: HistoryEntry = { action: a.action, from_status: ticket.status, to_status: to, at: a.occurred_at,
      via: 'sync', reason: a.reason || null, _pending: true };
    view.tickets[a.ticket_id] = {
      ...ticket,
      held_from: a.action === 'hold' ? ticket.status : ticket.held_from,
      status: to,
      allowed_actions: actionsFor(to),
      history: [...(ticket.history || []), event],
      version: (ticket.version || 0) + (m.status === 'acked' ? 0 : 1),
      _pending: ticket._pending || pending,
    };
    return view;
  }
  if (m.name === 'checklist.answer') return replayAnswer(view, m);
  const kind = CHILD_KIND[m.name];
  if (kind) {
    const rows = view[kind] as Record<string, Queued>;
    if (rows[a.id]) return view; // the pull already brought the confirmed row
    const id: string = a.id || m.id;
    const row: Queued = { ...a, id, created_at: a.occurred_at, _pending: pending, _mutation: m.id };
    if (kind === 'photos') row.uploaded = false;
    rows[id] = row;
    if (m.name === 'part.consume') takeFromStock(view, a);
    // The server completes an in-progress job when the signature was the last thing missing
    // (backend/signoff/operations.py): replay the same so the screen agrees with it.
    const ticket = view.tickets[a.ticket_id];
    if (m.name === 'signoff.submit' && ticket?.status === 'in_progress' && !missing(view, ticket).length) {
      view.tickets[a.ticket_id] = { ...ticket, status: 'completed', _pending: ticket._pending || pending };
    }
  }
  return view;
}

/** An answer queued offline is the item's answer at once (the server's merge rule: the latest
 * applied wins); the one it replaces is superseded, as the server will mark it. */
function replayAnswer(view: State, m: Mutation): State {
  const a = m.args || {};
  const rows = view.checklist_answers as Record<string, Queued>;
  if (rows[a.id]) return view; // the pull already brought the confirmed row
  for (const [id, row] of Object.entries(rows)) {
    if (row.ticket_id === a.ticket_id && row.item_key === a.item_key && row.status === 'current') {
      rows[id] = { ...row, status: 'superseded' };
    }
  }
  const ticket = view.tickets[a.ticket_id];
  const item = itemsOf(definitionOf(ticket || { id: a.ticket_id })).find((i) => i.key === a.item_key);
  const checked = item && a.value !== null ? checkAnswer(item, a.value) : null;
  rows[a.id] = {
    id: a.id, ticket_id: a.ticket_id, item_key: a.item_key, value: a.value, status: 'current',
    failed: !!checked && !checked.refused && checked.failed, created_at: a.occurred_at,
    _pending: m.status === 'pending', _mutation: m.id,
  };
  return view;
}

/** A part used offline leaves the van at once (the pull that brings the usage brings the
 * server's level with it, and then this is not replayed: see the early return above). */
function takeFromStock(view: State, a: Record<string, any>): void {
  const levels = view.stock_levels || {};
  const hit = Object.values(levels).find((s) => s.part_id === a.part_id && s.location_id === a.location_id);
  if (!hit) return;
  levels[hit.id] = { ...hit, quantity: Number(hit.quantity) - Number(a.quantity), _pending: true } satisfies StockRow;
}

type Child = { ticket_id?: string; created_at?: string | null };

/** Children of one ticket for the detail screen, oldest first. */
export function childrenOf<K extends keyof State>(view: State, kind: K, ticketId: string): NonNullable<State[K]>[string][] {
  return (Object.values(view[kind] || {}) as (NonNullable<State[K]>[string] & Child)[])
    .filter((r) => r.ticket_id === ticketId)
    .sort((a, b) => String(a.created_at || '').localeCompare(String(b.created_at || '')));
}

export interface ConflictItem {
  key: string;
  source: 'server' | 'queue';
  status: MutationStatus;
  ticket_id: string | null | undefined;
  mutation_id: string | null | undefined;
  name: string | null | undefined;
  message: string;
  resolution?: string | null;
  kind?: string;
  acknowledged: boolean;
  at: string | null | undefined;
  row: ConflictRow | Mutation;
}

/** The code the server gave a refused or conflicting mutation (``data.kind``), if any: the
 * screen says it in words before a pull brings the conflict's record. */
function resultKind(m: Mutation): string | undefined {
  const data = m.result && 'data' in m.result ? m.result.data : undefined;
  return typeof data?.kind === 'string' ? data.kind : undefined;
}

/**
 * Conflicts to show: server conflict rows plus our mutations answered conflict/rejected.
 * `acked` holds the keys the engineer acknowledged on this phone; a server conflict the
 * dispatcher has resolved counts as acknowledged too (only unacknowledged ones are counted).
 */
export function conflictList(confirmed: Confirmed | null | undefined, queue: readonly Mutation[] | null | undefined,
  acked: ReadonlySet<string> = new Set()): ConflictItem[] {
  const queueAcked = new Set((queue || []).filter((m) => m.acknowledged).map((m) => m.id));
  const fromServer = Object.values(confirmed?.conflicts || {}).map((c): ConflictItem => ({
    key: `c:${c.id}`,
    source: 'server',
    status: 'conflict',
    ticket_id: c.ticket_id,
    mutation_id: c.mutation_id,
    name: c.mutation_name || c.kind,
    message: c.message || c.kind || '',
    resolution: c.resolution,
    kind: c.kind,
    acknowledged: !!c.resolution || acked.has(`c:${c.id}`) || (!!c.mutation_id && queueAcked.has(c.mutation_id)),
    at: c.created_at,
    row: c,
  }));
  const seen = new Set(fromServer.map((c) => c.mutation_id).filter(Boolean));
  const fromQueue = (queue || [])
    .filter((m) => FAILED.has(m.status) && !seen.has(m.id))
    .map((m): ConflictItem => ({
      key: `m:${m.id}`,
      source: 'queue',
      status: m.status,
      ticket_id: m.args?.ticket_id,
      mutation_id: m.id,
      name: m.name,
      message: (m.result && 'error' in m.result && m.result.error) || '',
      kind: resultKind(m),
      acknowledged: !!m.acknowledged,
      at: m.args?.occurred_at,
      row: m,
    }));
  return [...fromQueue, ...fromServer];
}

/** Number shown next to the online badge: unanswered mutations plus photo bytes to upload. */
export function pendingCount(queue: readonly Mutation[] | null | undefined, blobs: readonly Blob_[] | null | undefined): number {
  const q = (queue || []).filter((m) => m.status === 'pending').length;
  const b = (blobs || []).filter((x) => !x.uploaded).length;
  return q + b;
}

type PushResult = components['schemas']['MutationResultOut'];

/**
 * Apply a push answer to the queue records (returns the updated records). Results are matched
 * by id; a mutation the answer does not mention stays pending (it will be sent again, and the
 * server's idempotency makes that safe).
 */
export function applyPushResults(batch: readonly Mutation[], results: readonly PushResult[] | null | undefined): Mutation[] {
  const byId = new Map((results || []).map((r) => [r.id, r]));
  return batch.map((m) => {
    const r = byId.get(m.id);
    if (!r) return m;
    let status: string = r.status;
    if (status === 'duplicate') status = r.conflict_id ? 'conflict' : 'acked';
    if (status === 'applied' || status === 'merged') status = 'acked';
    if (status !== 'acked' && status !== 'conflict' && status !== 'rejected') return m;
    return { ...m, status, result: r };
  });
}

/**
 * After a complete pull, acked mutations whose effect the server state now includes can go.
 * `lastMutationId` is the server's last processed mutation for this client whose effect the
 * pull has brought: everything acked up to it is in the pulled state. Unknown id: every acked
 * mutation predates it. None: the server holds their effect back still (another transaction
 * holds the horizon), so all stay drawn over the pulled state; dropping them then drew the job
 * as it was before, with the buttons of that state under the engineer's finger.
 */
export function ackedToDrop(queue: readonly Mutation[] | null | undefined, lastMutationId: string | null | undefined): string[] {
  const acked = (queue || []).filter((m) => m.status === 'acked');
  if (!lastMutationId) return [];
  const mark = (queue || []).find((m) => m.id === lastMutationId);
  if (!mark) return acked.map((m) => m.id);
  return acked.filter((m) => m.seq <= mark.seq).map((m) => m.id);
}

export interface PullPage {
  reset?: boolean;
  cursor?: string | null;
  changes?: Record<string, Change | undefined>;
}

type Row = { id: string };
export type Change = Row[] | { upserts?: Row[]; updated?: Row[]; created?: Row[]; removes?: (string | Row)[]; deleted?: (string | Row)[] };

/** Merge one pull page into confirmed state (pure; db.ts persists the same steps). */
export function applyPullPage(confirmed: Confirmed, page: PullPage): Confirmed {
  const next: Confirmed = page.reset ? {} : cloneKinds(confirmed);
  for (const [kind, change] of Object.entries(page.changes || {})) {
    const rows = (next[kind] ||= {}) as Record<string, Row>;
    const { upserts, removes } = normaliseChange(change);
    for (const row of upserts) rows[row.id] = row;
    for (const id of removes) delete rows[id];
  }
  return next;
}

export function normaliseChange(change: Change | undefined): { upserts: Row[]; removes: string[] } {
  if (Array.isArray(change)) return { upserts: change, removes: [] };
  return {
    upserts: change?.upserts || change?.updated || change?.created || [],
    removes: (change?.removes || change?.deleted || []).map((r) => (typeof r === 'object' ? r.id : r)),
  };
}
