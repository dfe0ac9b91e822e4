// The Rules screen's words and its pure helpers (no DOM, no API), so Vitest checks them: the
// catalog's fields, operators and actions named in the console's language, a condition's
// value read from the form as the API wants it, and the API's errors found by their path.
import { t } from '../lib/i18n.js';

/** Every key the screen says, for the test that both languages have them. */
export const RULE_WORDS = [
  'rules', 'ru_title', 'ru_new', 'ru_edit', 'ru_name', 'ru_event', 'ru_match', 'ru_match_all', 'ru_match_any',
  'ru_conditions', 'ru_no_conditions', 'ru_add_condition', 'ru_field', 'ru_op', 'ru_value', 'ru_value_hint', 'ru_from',
  'ru_until', 'ru_zone', 'ru_actions', 'ru_add_action', 'ru_action', 'ru_remove', 'ru_save', 'ru_cancel', 'ru_dry_run',
  'ru_none', 'ru_on', 'ru_off', 'ru_turn_on', 'ru_turn_off', 'ru_up', 'ru_down', 'ru_delete', 'ru_confirm_delete',
  'ru_order', 'ru_saved', 'ru_invalid', 'ru_dry_title', 'ru_dry_summary', 'ru_dry_none', 'ru_truncated', 'ru_ticket',
  'ru_at', 'ru_would', 'ru_unsaved', 'status', 'actions',
] as const;

const named = (prefix: string, name: string): string => {
  const key = `${prefix}${name.replace(/\./g, '_')}`;
  const said = t(key);
  return said === key ? name : said;
};
/** A catalog name in words; one this console does not know yet is shown as the API names it. */
export const fieldWords = (name: string): string => named('ru_f_', name);
export const opWords = (op: string): string => named('ru_op_', op);
export const actionWords = (type: string): string => named('ru_a_', type);
export const paramWords = (name: string): string => named('ru_p_', name);

const NO_VALUE = new Set(['is_set', 'is_not_set', 'is_empty', 'is_not_empty']);
const LIST_VALUE = new Set(['in', 'not_in', 'any_of']);

export interface ConditionDraft { field: string; op: string; value: string; from: string; until: string; zone: string }

/** A condition as the API takes it, from the form's text: no value for is_set and the like,
 * a list for in/not_in/any_of (comma separated), a number for a number field, two clock times
 * and a zone for time_of_day. What the API then refuses comes back by path. */
export function conditionBody(kind: string, d: ConditionDraft): Record<string, unknown> {
  const body: Record<string, unknown> = { field: d.field, op: d.op };
  if (kind === 'time') return { ...body, value: [d.from, d.until], zone: d.zone.trim() };
  if (NO_VALUE.has(d.op)) return body;
  const one = (raw: string): unknown => {
    const text = raw.trim();
    return kind === 'number' && text !== '' && !Number.isNaN(Number(text)) ? Number(text) : text;
  };
  body.value = LIST_VALUE.has(d.op) ? d.value.split(',').map(one).filter((v) => v !== '') : one(d.value);
  return body;
}

/** The form's text of a saved condition (the inverse of ``conditionBody``). */
export function conditionDraft(c: { field: string; op: string; value?: unknown; zone?: string }): ConditionDraft {
  const v = c.value;
  const time = Array.isArray(v) && c.field === 'time_of_day';
  return {
    field: c.field,
    op: c.op,
    value: time || v == null ? '' : Array.isArray(v) ? v.join(', ') : String(v),
    from: time ? String(v[0]) : '08:00',
    until: time ? String(v[1]) : '18:00',
    zone: c.zone ?? 'UTC',
  };
}

/** Whether an operator takes a value at all (the form hides the input when not). */
export const takesValue = (op: string): boolean => !NO_VALUE.has(op);

/** The messages the API gave for ``path`` (``conditions.1.op``) and anything below it. */
export function errorsAt(errors: Record<string, unknown> | null | undefined, path: string): string[] {
  if (!errors) return [];
  const found: string[] = [];
  for (const [key, said] of Object.entries(errors)) {
    if (key === path || key.startsWith(`${path}.`)) {
      for (const m of Array.isArray(said) ? said : [said]) found.push(String(m));
    }
  }
  return found;
}
