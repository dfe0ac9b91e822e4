// The engineer half of the server's state machine. Nothing here is a hand copy: the table is
// rules.gen.json, generated from backend/workorders/states.py by `fieldops client-rules` (a
// server test fails when the two disagree). A pulled ticket carries the server's own
// `allowed_actions`; after an action taken offline the next ones are read from the table.
// The server still decides: an invalid transition comes back as a conflict.

import rules from './rules.gen.json';

const { transitions: TRANSITIONS, reason_required: REASON, resume_to: RESUME, open: OPEN_LIST } = rules.states;

export { TRANSITIONS };
export const REASON_REQUIRED = new Set(REASON);
export const OPEN = [...OPEN_LIST];

/** Actions the engineer may take from `status`, in the server's order. */
export function actionsFor(status) {
  return Object.keys(TRANSITIONS).filter((a) => TRANSITIONS[a].from.includes(status));
}

/** Buttons for a ticket: the server's list while the ticket is as it sent it. */
export function allowedActions(ticket) {
  return Array.isArray(ticket?.allowed_actions) ? ticket.allowed_actions : actionsFor(ticket?.status);
}

/** Status after `action`, or null when the action is not valid from `status`. */
export function nextStatus(action, status, heldFrom) {
  const tr = TRANSITIONS[action];
  if (!tr || !tr.from.includes(status)) return null;
  if (tr.to) return tr.to;
  return RESUME.held_from.includes(heldFrom) ? heldFrom : RESUME.otherwise;
}
