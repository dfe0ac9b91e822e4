// Completion checklist. The server sends each ticket's requirements with the synced ticket
// (`ticket.completion.requirements`, from the same rules its completion guard enforces, a
// deployment's own included); a ticket pulled before the server sent them uses the server's
// default layer, generated into rules.gen.json (never a hand copy). What the phone evaluates
// is the evidence it has cached, queued work included, so the checklist and the Complete
// button are right offline; the server's guard still decides.

import type { components } from '../lib/api.js';
import { answersOf, type Definition, evaluate } from './checklist.js';
import rules from './rules.gen.json';
import type { State } from './types.js';

export type Requirements = components['schemas']['RequirementsOut'];
export type MissingCode = 'signature' | 'photos' | 'parts' | `checklist.${string}`;

interface TicketLike {
  id: string;
  completion?: { requirements?: Partial<Requirements> };
  job_type?: { checklist?: unknown } | Record<string, never> | null;
}

/** The job's checklist definition, as the server sent it with the ticket (none: null). */
export function definitionOf(ticket: TicketLike): Definition | null {
  const jt = ticket.job_type as { checklist?: Definition } | null | undefined;
  return jt?.checklist ?? null;
}

export function requirements(ticket: TicketLike): Requirements {
  return { ...rules.completion_default, ...(ticket.completion?.requirements || {}) };
}

type Row = { ticket_id?: string; status?: string; origin?: string };

const forTicket = (view: Partial<State>, kind: string, id: string): Row[] =>
  Object.values((view[kind] || {}) as Record<string, Row>).filter((r) => r.ticket_id === id);

export function evidence(view: Partial<State>, ticketId: string): { signature: boolean; photos: number; parts: boolean } {
  return {
    signature: forTicket(view, 'signoffs', ticketId).some((s) => s.status !== 'conflict'),
    photos: forTicket(view, 'photos', ticketId).filter((p) => (p.origin || 'staff') === 'staff').length,
    parts: forTicket(view, 'part_usages', ticketId).length + forTicket(view, 'parts_statements', ticketId).length > 0,
  };
}

/** Stable codes, as the server's 409 body: signature, photos, parts, then checklist.<key> for
 * each required checklist item still unanswered (evaluated on the server's definition). */
export function missing(view: Partial<State>, ticket: TicketLike): MissingCode[] {
  const req = requirements(ticket);
  const ev = evidence(view, ticket.id);
  const out: MissingCode[] = [];
  if (req.signature && !ev.signature) out.push('signature');
  if (ev.photos < (req.photos || 0)) out.push('photos');
  if (req.parts && !ev.parts) out.push('parts');
  const definition = definitionOf(ticket);
  if (definition) {
    for (const key of evaluate(definition, answersOf(view, ticket.id)).missing) out.push(`checklist.${key}`);
  }
  return out;
}

export interface CheckItem {
  key: 'signature' | 'photos' | 'parts';
  ok: boolean;
  need?: number;
  have?: number;
}

export function checklist(view: Partial<State>, ticket: TicketLike): CheckItem[] {
  const req = requirements(ticket);
  const ev = evidence(view, ticket.id);
  const items: CheckItem[] = [];
  if (req.photos) items.push({ key: 'photos', ok: ev.photos >= req.photos, need: req.photos, have: ev.photos });
  if (req.parts) items.push({ key: 'parts', ok: ev.parts });
  if (req.signature) items.push({ key: 'signature', ok: ev.signature });
  return items;
}
