// Sync conflicts and refusals in the reader's language, for the engineer app and the console.
// The server sends codes: a conflict's ``kind`` (backend/sync and the mutations that record
// conflicts) and a refused mutation's ``data.kind`` (backend/sync/apply.py, DomainError.kind);
// its English ``message`` is for logs and support. A known code is said in words; an unknown
// one gets a generic phrase, with the raw message kept for a muted line.
import { t } from './i18n.js';

/** Conflict kinds the server records, and the refusal kinds of a rejected mutation. */
const KINDS = new Set(['evidence_after_reassign', 'evidence_after_cancel', 'invalid_transition', 'stale_version',
  'reassigned', 'cancelled', 'server_owned_field', 'second_signature',
  'invalid', 'invalid_args', 'not_found', 'not_allowed', 'conflict', 'unknown_mutation', 'schema_too_old',
  'database_refused', 'server_error']);
/** Fields an engineer's edit can touch (ticket.update's changes, a note's body). */
const FIELDS = new Set(['title', 'description', 'priority', 'required_skills', 'location', 'body']);

export interface ConflictText {
  /** What happened, in words. */
  text: string;
  /** The server's own message, only when its code is unknown (for a muted line). */
  raw: string;
}

/** ``kind`` in words: ``ck_`` for the dispatcher (the console), ``k_`` for the engineer. */
export function conflictText(kind: string | null | undefined, message: string | null | undefined,
  who: 'engineer' | 'dispatcher' = 'engineer'): ConflictText {
  const prefix = who === 'dispatcher' ? 'ck' : 'k';
  if (kind && KINDS.has(kind)) {
    const key = `${prefix}_${kind}`;
    const text = t(key);
    if (text !== key) return { text, raw: '' };
  }
  return { text: t(`${prefix}_unknown`), raw: message || kind || '' };
}

/** A field's name in words (an unknown one as "another field"). */
export const fieldName = (field: string): string => t(FIELDS.has(field) ? `f_${field}` : 'f_other');

/** A value as a short text (lists joined, a location or other object left unshown). */
function shown(v: unknown): string {
  if (v == null || v === '') return '—';
  if (Array.isArray(v)) return v.map(shown).join(', ');
  if (typeof v === 'object') return '…';
  const s = String(v);
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

/** The fields an engineer's refused edit changed, each with both values: "priority: engineer
 * P1, server P3". ``mine`` and ``theirs`` are the conflict's two sides. */
export function changedFields(mine: Record<string, unknown> | null | undefined,
  theirs: Record<string, unknown> | null | undefined): string[] {
  const changes = mine?.changes;
  const edited: Record<string, unknown> = changes && typeof changes === 'object' && !Array.isArray(changes)
    ? changes as Record<string, unknown> : mine && 'body' in mine && theirs && 'body' in theirs ? { body: mine.body } : {};
  return Object.entries(edited).map(([field, value]) =>
    t('c_values', { field: fieldName(field), mine: shown(value), theirs: shown(theirs?.[field]) }));
}
