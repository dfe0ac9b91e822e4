// The engineer half of the server's state machine. Nothing here is a hand copy: the table is
// rules.gen.json, generated from backend/workorders/states.py by `fieldops client-rules` (a
// server test fails when the two disagree). A pulled ticket carries the server's own
// `allowed_actions`; after an action taken offline the next ones are read from the table.
// The server still decides: an invalid transition comes back as a conflict.

import rules from './rules.gen.json';
import type { Action, Status } from './types.js';

interface Transition {
  from: string[];
  to: string | null;
}

const TRANSITIONS: Record<string, Transition> = rules.states.transitions;
const RESUME = rules.states.resume_to;

export { TRANSITIONS };
export const REASON_REQUIRED: ReadonlySet<string> = new Set(rules.states.reason_required);
export const OPEN: readonly string[] = [...rules.states.open];

/** Actions the engineer may take from `status`, in the server's order. */
export function actionsFor(status: string | undefined): Action[] {
  return (Object.keys(TRANSITIONS) as Action[]).filter((a) => status !== undefined && TRANSITIONS[a]?.from.includes(status));
}

/** Buttons for a ticket: the server's list while the ticket is as it sent it. */
export function allowedActions(ticket: { status?: string; allowed_actions?: Action[] } | undefined): Action[] {
  return Array.isArray(ticket?.allowed_actions) ? ticket.allowed_actions : actionsFor(ticket?.status);
}

/** Status after `action`, or null when the action is not valid from `status`. */
export function nextStatus(action: string, status: string, heldFrom?: string | null): Status | null {
  const tr = TRANSITIONS[action];
  if (!tr || !tr.from.includes(status)) return null;
  if (tr.to) return tr.to as Status;
  return (heldFrom && RESUME.held_from.includes(heldFrom) ? heldFrom : RESUME.otherwise) as Status;
}
