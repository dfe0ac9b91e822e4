// A job's checklist, evaluated offline. The definitions (items, ranges, choices, conditions)
// come from the server with each synced ticket (`ticket.job_type.checklist`); this module only
// evaluates them, with the rules of backend/jobtypes/checklist.py. The two cannot drift:
// checklist.cases.gen.json holds the server's own verdicts on a table of answers (generated
// by `fieldops client-rules`, checked by tests/test_client_rules.py) and checklist.test.ts
// asserts this module gives the same ones.

export type ItemType = 'yes_no' | 'number' | 'single_choice' | 'multi_choice' | 'text' | 'photo' | 'meter' | 'signature';

export interface Condition { item: string; any_of: string[] }

export interface Item {
  key: string;
  label: string;
  type: ItemType | string;
  required?: boolean;
  help?: string;
  unit?: string | null;
  min?: number | null;
  max?: number | null;
  choices?: string[] | null;
  show_if?: Condition | null;
}

export interface Definition { sections: { title: string; items: Item[] }[] }

export const YES_NO = ['yes', 'no', 'na'] as const;
export const TEXT_MAX = 5000;
const NUMBER_LIMIT = 1e12;
const MAX_STROKES = 50;
const MAX_POINTS = 2000;
const MAX_COORD = 10_000;
/** A UUID as Python's uuid.UUID(str) reads it (braces, urn:uuid:, hyphens anywhere), in its
 * canonical form; null when it is none. */
export function canonicalUuid(value: string): string | null {
  let hex = value.replaceAll('urn:', '').replaceAll('uuid:', '');
  hex = hex.replace(/^\{+/, '').replace(/\}+$/, '').replaceAll('-', '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return null;
  hex = hex.toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `refused`: a value that can never answer the item (the server answers 422); otherwise the
 * value as the server keeps it and whether it is `failed` (outside the allowed range). */
export type Checked = { refused: true; reason: string } | { refused: false; value: unknown; failed: boolean };

const isNumber = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= NUMBER_LIMIT;

const refuse = (reason: string): Checked => ({ refused: true, reason });
const ok = (value: unknown, failed = false): Checked => ({ refused: false, value, failed });

function strokes(raw: unknown): number[][][] | null {
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > MAX_STROKES) return null;
  let total = 0;
  const out: number[][][] = [];
  for (const stroke of raw) {
    if (!Array.isArray(stroke) || !stroke.length) return null;
    const points: number[][] = [];
    for (const p of stroke) {
      if (!Array.isArray(p) || p.length !== 2 || !p.every((c) => isNumber(c) && c >= 0 && c <= MAX_COORD)) return null;
      points.push([p[0], p[1]]);
    }
    total += points.length;
    out.push(points);
  }
  return total <= MAX_POINTS ? out : null;
}

export function checkAnswer(item: Item, value: unknown): Checked {
  const choices = item.choices || [];
  switch (item.type) {
    case 'yes_no':
      return (YES_NO as readonly unknown[]).includes(value) ? ok(value) : refuse('yes_no');
    case 'number': {
      if (!isNumber(value)) return refuse('number');
      const low = item.min ?? null;
      const high = item.max ?? null;
      return ok(value, (low !== null && value < low) || (high !== null && value > high));
    }
    case 'meter':
      return isNumber(value) && value >= 0 ? ok(value) : refuse('meter');
    case 'single_choice':
      return typeof value === 'string' && choices.includes(value) ? ok(value) : refuse('choice');
    case 'multi_choice':
      return Array.isArray(value) && value.length > 0 && new Set(value).size === value.length
        && value.every((v) => typeof v === 'string' && choices.includes(v)) ? ok(value) : refuse('choices');
    case 'text':
      return typeof value === 'string' && value.trim() && value.length <= TEXT_MAX ? ok(value) : refuse('text');
    case 'photo': {
      const id = typeof value === 'string' ? canonicalUuid(value) : null;
      return id ? ok(id) : refuse('photo');
    }
    case 'signature': {
      const v = value as { signer_name?: unknown; strokes?: unknown } | null;
      const name = v && typeof v === 'object' && !Array.isArray(v) ? v.signer_name : undefined;
      if (typeof name !== 'string' || !name.trim() || name.length > 200) return refuse('signer_name');
      const s = strokes(v?.strokes);
      return s ? ok({ signer_name: name.trim(), strokes: s }) : refuse('strokes');
    }
    default:
      return refuse('type');
  }
}

export interface Evaluation { visible: string[]; missing: string[]; failed: string[] }

export const itemsOf = (d: Definition | null | undefined): Item[] => (d?.sections || []).flatMap((s) => s.items);

function shown(item: Item, answers: Record<string, unknown>, visible: Set<string>): boolean {
  const c = item.show_if;
  if (!c) return true;
  if (!visible.has(c.item) || !(c.item in answers)) return false;
  const a = answers[c.item];
  return (Array.isArray(a) ? a : [a]).some((v) => c.any_of.includes(v as string));
}

/** Which items the answers show, leave missing (required, unanswered) and failed, in order. */
export function evaluate(d: Definition | null | undefined, answers: Record<string, unknown>): Evaluation {
  const visible = new Set<string>();
  const out: Evaluation = { visible: [], missing: [], failed: [] };
  for (const item of itemsOf(d)) {
    if (!shown(item, answers, visible)) continue;
    visible.add(item.key);
    out.visible.push(item.key);
    if (!(item.key in answers)) {
      if (item.required) out.missing.push(item.key);
      continue;
    }
    const c = checkAnswer(item, answers[item.key]);
    if (c.refused) {
      if (item.required) out.missing.push(item.key);
    } else if (c.failed) out.failed.push(item.key);
  }
  return out;
}

/** A ticket's current answers as the view holds them (confirmed, or queued and replayed):
 * item key -> value, cleared items left out. */
export function answersOf(view: { [kind: string]: Record<string, unknown> | undefined }, ticketId: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const row of Object.values(view.checklist_answers || {}) as AnswerRow[]) {
    if (row.ticket_id === ticketId && row.status === 'current' && row.value !== null && row.value !== undefined) {
      out[row.item_key] = row.value;
    }
  }
  return out;
}

export interface AnswerRow {
  id: string;
  ticket_id: string;
  item_key: string;
  value: unknown;
  status: string;
  failed?: boolean;
  _pending?: boolean;
}
