// Completion checklist. The server sends each ticket's requirements with the synced ticket
// (``ticket.completion.requirements``, from the same rules its completion guard enforces, a
// deployment's own included). The built-in defaults of backend/signoff/rules.py (a signature,
// a parts record, one photo for P1/P2) stand in only for a ticket confirmed before the server
// sent them. The server's guard still decides; this only tells the engineer what is missing.

const DEFAULTS = { signature: true, photos: 0, parts: true };
const BY_PRIORITY = { P1: { photos: 1 }, P2: { photos: 1 } };

export function requirements(ticket) {
  const fromServer = ticket.completion?.requirements;
  if (fromServer) return { ...DEFAULTS, ...fromServer };
  return { ...DEFAULTS, ...(BY_PRIORITY[ticket.priority] || {}) };
}

const forTicket = (view, kind, id) => Object.values(view[kind] || {}).filter((r) => r.ticket_id === id);

export function evidence(view, ticketId) {
  return {
    signature: forTicket(view, 'signoffs', ticketId).some((s) => s.status !== 'conflict'),
    photos: forTicket(view, 'photos', ticketId).length,
    parts: forTicket(view, 'part_usages', ticketId).length + forTicket(view, 'parts_statements', ticketId).length > 0,
  };
}

/** Stable codes, as the server's 409 body: signature, photos, parts. */
export function missing(view, ticket) {
  const req = requirements(ticket);
  const ev = evidence(view, ticket.id);
  const out = [];
  if (req.signature && !ev.signature) out.push('signature');
  if (ev.photos < (req.photos || 0)) out.push('photos');
  if (req.parts && !ev.parts) out.push('parts');
  return out;
}

export function checklist(view, ticket) {
  const req = requirements(ticket);
  const ev = evidence(view, ticket.id);
  const items = [];
  if (req.photos) items.push({ key: 'photos', ok: ev.photos >= req.photos, need: req.photos, have: ev.photos });
  if (req.parts) items.push({ key: 'parts', ok: ev.parts });
  if (req.signature) items.push({ key: 'signature', ok: ev.signature });
  return items;
}
