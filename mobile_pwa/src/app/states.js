// Client copy of the engineer half of backend/workorders/states.py. Used only to offer the
// actions valid for the status on screen and to replay queued transitions; the server's state
// machine still decides (an invalid transition comes back as a conflict).

const ACTIVE = ['accepted', 'en_route', 'on_site', 'in_progress'];

export const TRANSITIONS = {
  accept: { from: ['assigned'], to: 'accepted' },
  reject: { from: ['assigned'], to: 'new' },
  start_travel: { from: ['accepted'], to: 'en_route' },
  arrive: { from: ['en_route'], to: 'on_site' },
  start_work: { from: ['on_site'], to: 'in_progress' },
  hold: { from: ACTIVE, to: 'on_hold' },
  resume: { from: ['on_hold'], to: null },
  complete: { from: ['in_progress'], to: 'completed' },
};

export const REASON_REQUIRED = new Set(['reject', 'hold']);
export const OPEN = ['assigned', ...ACTIVE, 'on_hold'];

export function allowedActions(status) {
  return Object.keys(TRANSITIONS).filter((a) => TRANSITIONS[a].from.includes(status));
}

/** Status after ``action`` or null when the action is not valid from ``status``. */
export function nextStatus(action, status, heldFrom) {
  const tr = TRANSITIONS[action];
  if (!tr || !tr.from.includes(status)) return null;
  if (tr.to) return tr.to;
  return ACTIVE.includes(heldFrom) ? heldFrom : 'accepted';
}
