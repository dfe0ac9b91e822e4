// Console: the Rules screen (``#/rules``, admins only; docs/automation.md). Automation rules:
// list in the order they run (move up/down), turn on/off, delete (a second click confirms),
// create and edit (when <event> if all/any <conditions> then <actions>) with the API's errors
// shown beside the input each one names (``conditions.1.op``), and a dry run (saved or not)
// listing the tickets of the last 30 days the rule would have matched. The fields, operators
// and actions come from the API (GET /api/v1/automation/catalog); every call is typed.
import { HttpError, ok, type components } from '../lib/api.js';
import { h, mount, type Child } from '../lib/dom.js';
import { currentLanguage, t } from '../lib/i18n.js';
import { api } from './state.js';
import {
  actionWords, conditionBody, conditionDraft, errorsAt, fieldWords, opWords, paramWords, takesValue,
  type ConditionDraft,
} from './rule-words.js';
import { eventWords } from './webhook-words.js';

type Schemas = components['schemas'];
type Rule = Schemas['RuleOut'];
type Catalog = Schemas['CatalogOut'];
type DryRun = Schemas['DryRunOut'];
type RuleBody = Schemas['RuleIn'];

interface Draft {
  id: string | null;
  version: number | null;
  name: string;
  event: RuleBody['event'];
  match: RuleBody['match'];
  enabled: boolean;
  conditions: ConditionDraft[];
  actions: Record<string, string>[];
}

const rs = {
  catalog: null as Catalog | null,
  rules: [] as Rule[],
  draft: null as Draft | null,
  errors: null as Record<string, unknown> | null,
  dry: null as { name: string; result: DryRun } | null,
  deleting: null as string | null,
  error: '',
  note: '',
};
let root: HTMLElement | null = null;
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const when = (iso: string): string =>
  new Date(iso).toLocaleString(currentLanguage(), { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const pathId = (path: string): string => `ru-err-${path.replace(/\./g, '-')}`;

export async function showRules(el: HTMLElement): Promise<void> {
  root = el;
  await load();
}

async function load(): Promise<void> {
  try {
    rs.catalog ??= await ok(api.client.GET('/api/v1/automation/catalog'));
    rs.rules = await ok(api.client.GET('/api/v1/automation/rules'));
  } catch (err) { rs.error = message(err); }
  draw();
}

function draw(): void {
  if (root) mount(root, view());
}

async function act(work: () => Promise<unknown>, note = ''): Promise<void> {
  try {
    await work();
    rs.note = note;
    rs.error = '';
  } catch (err) { rs.error = message(err); rs.note = ''; }
  await load();
}

const fieldKind = (name: string): string => rs.catalog?.fields.find((f) => f.name === name)?.kind ?? 'text';
const operatorsOf = (name: string): string[] => rs.catalog?.fields.find((f) => f.name === name)?.operators ?? [];
const paramsOf = (type: string): Schemas['CatalogParam'][] => rs.catalog?.actions.find((a) => a.type === type)?.parameters ?? [];

function newCondition(): ConditionDraft {
  const field = rs.catalog?.fields[0]?.name ?? 'ticket.priority';
  return { field, op: operatorsOf(field)[0] ?? 'eq', value: '', from: '08:00', until: '18:00', zone: 'UTC' };
}

function edit(rule: Rule | null): void {
  rs.errors = null;
  rs.note = '';
  rs.draft = rule
    ? {
      id: rule.id, version: rule.version, name: rule.name, event: rule.event as RuleBody['event'],
      match: rule.match as RuleBody['match'], enabled: rule.enabled,
      conditions: rule.conditions.map(conditionDraft),
      actions: rule.actions.map((a) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, String(v ?? '')]))),
    }
    : { id: null, version: null, name: '', event: 'ticket.created', match: 'all', enabled: true, conditions: [], actions: [{ type: 'set_priority', priority: 'P1' }] };
  draw();
}

function body(d: Draft): RuleBody {
  return {
    name: d.name.trim(),
    event: d.event,
    match: d.match,
    enabled: d.enabled,
    conditions: d.conditions.map((c) => conditionBody(fieldKind(c.field), c)),
    actions: d.actions.map((a) => {
      const out: Record<string, unknown> = { type: a.type };
      for (const p of paramsOf(a.type ?? '')) if ((a[p.name] ?? '').trim() !== '') out[p.name] = a[p.name]?.trim();
      return out;
    }),
  };
}

/** Keep the API's refusal: its errors by path go beside the inputs they name. */
function refused(err: unknown): void {
  if (err instanceof HttpError && err.status === 422) {
    rs.errors = (err.body?.errors as Record<string, unknown>) ?? {};
    rs.error = `${t('ru_invalid')} ${err.message}`;
  } else {
    rs.error = message(err);
  }
}

async function save(): Promise<void> {
  const d = rs.draft;
  if (!d) return;
  try {
    if (d.id) {
      await ok(api.client.PATCH('/api/v1/automation/rules/{rule_id}', {
        params: { path: { rule_id: d.id } }, body: { ...body(d), version: d.version ?? undefined },
      }));
    } else {
      await ok(api.client.POST('/api/v1/automation/rules', { body: body(d) }));
    }
    rs.draft = null;
    rs.errors = null;
    rs.note = t('ru_saved');
    rs.error = '';
  } catch (err) { refused(err); }
  await load();
}

async function dryRun(rule: Rule | null): Promise<void> {
  try {
    const result = await ok(api.client.POST('/api/v1/automation/rules/dry-run', {
      body: rule ? { rule_id: rule.id } : { rule: body(rs.draft as Draft) },
    }));
    rs.dry = { name: rule ? rule.name : `${rs.draft?.name || '—'} (${t('ru_unsaved')})`, result };
    rs.errors = null;
    rs.error = '';
  } catch (err) { refused(err); }
  draw();
}

async function move(index: number, by: number): Promise<void> {
  const ids = rs.rules.map((r) => r.id);
  const [id] = ids.splice(index, 1);
  ids.splice(index + by, 0, id as string);
  await act(() => ok(api.client.POST('/api/v1/automation/rules/reorder', { body: { rule_ids: ids } })));
}

/** The API's messages for ``path`` and below it, one line per path it named (``conditions.0.value``). */
const errorsFor = (path: string): Child => {
  const keys = Object.keys(rs.errors ?? {}).filter((k) => k === path || k.startsWith(`${path}.`));
  return keys.map((k) => h('span.error.ru-err', { id: pathId(k), role: 'alert' }, errorsAt({ [k]: rs.errors?.[k] }, k).join(' ')));
};
/** Errors about a list itself (``actions``: "1 to 10 actions"), not about one of its items. */
const exactly = (path: string): Child => {
  const said = rs.errors?.[path];
  return said ? h('span.error.ru-err', { id: pathId(path), role: 'alert' }, ([] as unknown[]).concat(said).join(' ')) : null;
};
const described = (path: string): string | undefined => (errorsAt(rs.errors, path).length ? pathId(path) : undefined);

function select(id: string, value: string, options: [string, string][], onchange: (v: string) => void, label: string): HTMLElement {
  return h('select', { id, 'aria-label': label, onchange: (e: Event) => onchange((e.target as HTMLSelectElement).value) },
    options.map(([v, words]) => h('option', { value: v, selected: v === value }, words)));
}

function input(id: string, value: string, oninput: (v: string) => void, label: string, path: string, extra: Record<string, unknown> = {}): HTMLElement {
  return h('input', { id, value, 'aria-label': label, 'aria-invalid': described(path) ? 'true' : undefined,
    'aria-describedby': described(path), oninput: (e: Event) => oninput((e.target as HTMLInputElement).value), ...extra });
}

function conditionRow(c: ConditionDraft, i: number): HTMLElement {
  const d = rs.draft as Draft;
  const kind = fieldKind(c.field);
  const at = `conditions.${i}`;
  const fields = (rs.catalog?.fields ?? []).map((f): [string, string] => [f.name, fieldWords(f.name)]);
  const ops = operatorsOf(c.field).map((o): [string, string] => [o, opWords(o)]);
  return h('div.ru-cond', { dataset: { index: String(i) } },
    select(`ru-c-field-${i}`, c.field, fields, (v) => { c.field = v; c.op = operatorsOf(v)[0] ?? ''; draw(); }, t('ru_field')),
    select(`ru-c-op-${i}`, c.op, ops, (v) => { c.op = v; draw(); }, t('ru_op')),
    kind === 'time'
      ? [input(`ru-c-from-${i}`, c.from, (v) => { c.from = v; }, t('ru_from'), `${at}.value`, { type: 'time' }),
        input(`ru-c-until-${i}`, c.until, (v) => { c.until = v; }, t('ru_until'), `${at}.value`, { type: 'time' }),
        input(`ru-c-zone-${i}`, c.zone, (v) => { c.zone = v; }, t('ru_zone'), `${at}.zone`, { placeholder: 'Europe/Berlin' })]
      : takesValue(c.op)
        ? input(`ru-c-value-${i}`, c.value, (v) => { c.value = v; }, t('ru_value'), `${at}.value`,
          { title: t('ru_value_hint'), list: `ru-values-${i}` })
        : null,
    kind === 'enum'
      ? h('datalist', { id: `ru-values-${i}` }, (rs.catalog?.fields.find((f) => f.name === c.field)?.values ?? []).map((v) => h('option', { value: v })))
      : null,
    h('button.secondary.ru-c-remove', { type: 'button', onclick: () => { d.conditions.splice(i, 1); draw(); } }, t('ru_remove')),
    errorsFor(at));
}

/** Parameters with a fixed set of values get a list to pick from. */
const CHOICES: Record<string, string[]> = { priority: ['P1', 'P2', 'P3', 'P4'], role: ['admin', 'dispatcher', 'engineer'] };

function actionRow(a: Record<string, string>, i: number): HTMLElement {
  const d = rs.draft as Draft;
  const at = `actions.${i}`;
  const types = (rs.catalog?.actions ?? []).map((x): [string, string] => [x.type, actionWords(x.type)]);
  return h('div.ru-act', { dataset: { index: String(i) } },
    select(`ru-a-type-${i}`, a.type ?? '', types, (v) => { d.actions[i] = { type: v, ...(v === 'set_priority' ? { priority: 'P1' } : {}) }; draw(); }, t('ru_action')),
    paramsOf(a.type ?? '').map((p) => h('label.ru-param', paramWords(p.name), ' ',
      CHOICES[p.kind]
        ? select(`ru-a-${p.name}-${i}`, a[p.name] ?? '', [...(p.required ? [] : [['', '—'] as [string, string]]),
          ...(CHOICES[p.kind] ?? []).map((v): [string, string] => [v, v])], (v) => { a[p.name] = v; }, paramWords(p.name))
        // not ``required``: the browser would stop the form before the API names every problem
        : input(`ru-a-${p.name}-${i}`, a[p.name] ?? '', (v) => { a[p.name] = v; }, paramWords(p.name), `${at}.${p.name}`,
          { 'aria-required': p.required ? 'true' : undefined }))),
    h('button.secondary.ru-a-remove', { type: 'button', onclick: () => { d.actions.splice(i, 1); draw(); } }, t('ru_remove')),
    errorsFor(at));
}

function editor(): Child {
  const d = rs.draft;
  if (!d) return h('p', h('button', { id: 'ru-new', type: 'button', onclick: () => edit(null) }, t('ru_new')));
  const events = (rs.catalog?.events ?? []).map((e): [string, string] => [e.type, eventWords(e.type)]);
  return h('form.ru-form', { id: 'ru-form', onsubmit: (e: Event) => { e.preventDefault(); void save(); } },
    h('h3', d.id ? t('ru_edit') : t('ru_new')),
    h('label', { for: 'ru-name' }, t('ru_name')),
    input('ru-name', d.name, (v) => { d.name = v; }, t('ru_name'), 'name', { maxlength: 200 }), errorsFor('name'),
    h('label', { for: 'ru-event' }, t('ru_event')),
    select('ru-event', d.event, events, (v) => { d.event = v as RuleBody['event']; }, t('ru_event')), errorsFor('event'),
    h('label', { for: 'ru-match' }, t('ru_match')),
    select('ru-match', d.match, [['all', t('ru_match_all')], ['any', t('ru_match_any')]], (v) => { d.match = v as RuleBody['match']; }, t('ru_match')),
    h('fieldset', h('legend', t('ru_conditions')),
      d.conditions.length ? d.conditions.map(conditionRow) : h('p.muted', t('ru_no_conditions')),
      exactly('conditions'),
      h('button.secondary', { id: 'ru-add-condition', type: 'button', onclick: () => { d.conditions.push(newCondition()); draw(); } }, t('ru_add_condition'))),
    h('fieldset', h('legend', t('ru_actions')),
      d.actions.map(actionRow),
      exactly('actions'),
      h('button.secondary', { id: 'ru-add-action', type: 'button', onclick: () => { d.actions.push({ type: 'add_note', body: '' }); draw(); } }, t('ru_add_action'))),
    h('p',
      h('button', { id: 'ru-save', type: 'submit' }, t('ru_save')), ' ',
      h('button.secondary', { id: 'ru-form-dry', type: 'button', onclick: () => dryRun(null) }, t('ru_dry_run')), ' ',
      h('button.secondary', { id: 'ru-cancel', type: 'button', onclick: () => { rs.draft = null; rs.errors = null; rs.error = ''; draw(); } }, t('ru_cancel'))));
}

function ruleRow(r: Rule, i: number): HTMLElement {
  const confirming = rs.deleting === r.id;
  return h('tr', { dataset: { rule: r.id, enabled: String(r.enabled) } },
    h('td.num', String(i + 1)),
    h('td.ru-name', r.name),
    h('td', eventWords(r.event)),
    h('td', { class: r.enabled ? 'ok' : 'error' }, r.enabled ? t('ru_on') : t('ru_off')),
    h('td.wh-actions',
      h('button.secondary.ru-up', { type: 'button', disabled: i === 0, onclick: () => move(i, -1) }, t('ru_up')), ' ',
      h('button.secondary.ru-down', { type: 'button', disabled: i === rs.rules.length - 1, onclick: () => move(i, 1) }, t('ru_down')), ' ',
      h('button.secondary.ru-toggle', { type: 'button', onclick: () => act(() => ok(api.client.PATCH('/api/v1/automation/rules/{rule_id}', {
        params: { path: { rule_id: r.id } }, body: { enabled: !r.enabled, version: r.version },
      }))) }, r.enabled ? t('ru_turn_off') : t('ru_turn_on')), ' ',
      h('button.secondary.ru-edit', { type: 'button', onclick: () => edit(r) }, t('ru_edit')), ' ',
      h('button.secondary.ru-dry', { type: 'button', onclick: () => dryRun(r) }, t('ru_dry_run')), ' ',
      h('button.secondary.ru-delete', { type: 'button', onclick: () => {
        if (!confirming) { rs.deleting = r.id; draw(); return; }
        rs.deleting = null;
        void act(() => ok(api.client.DELETE('/api/v1/automation/rules/{rule_id}', { params: { path: { rule_id: r.id } } })));
      } }, confirming ? t('ru_confirm_delete') : t('ru_delete'))));
}

function dryView(): Child {
  if (!rs.dry) return null;
  const { name, result } = rs.dry;
  return h('section', { id: 'ru-dry', 'aria-label': t('ru_dry_title', { name }) },
    h('h3', t('ru_dry_title', { name })),
    h('p', { id: 'ru-dry-summary' }, result.matches.length
      ? t('ru_dry_summary', { tickets: result.matched_tickets, events: result.matched_events, scanned: result.events_scanned, since: when(result.since) })
      : t('ru_dry_none')),
    result.truncated ? h('p.muted', t('ru_truncated')) : null,
    result.matches.length
      ? h('table.wh-table', { id: 'ru-dry-table' },
        h('thead', h('tr', ['ru_ticket', 'ru_at', 'ru_would'].map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', result.matches.map((m) => h('tr', { dataset: { ticket: m.number } },
          h('td', h('strong', m.number), ' ', m.title),
          h('td', when(m.at)),
          h('td', h('ul.ru-would', m.actions.map((a) => h('li', `${actionWords(a.type)}: ${a.would}`))))))))
      : null);
}

function view(): Child[] {
  return [
    h('h2', t('ru_title')),
    rs.error ? h('p.error', { id: 'ru-error', role: 'alert' }, rs.error) : null,
    rs.note ? h('p.ok', { id: 'ru-note', role: 'status' }, rs.note) : null,
    h('div.wh-layout.ru-layout',
      h('div.wh-main',
        rs.rules.length
          ? h('table.wh-table', { id: 'ru-rules' },
            h('thead', h('tr', ['ru_order', 'ru_name', 'ru_event', 'status', 'actions'].map((k) => h('th', { scope: 'col' }, t(k))))),
            h('tbody', rs.rules.map(ruleRow)))
          : h('p.muted', { id: 'ru-none' }, t('ru_none')),
        dryView()),
      h('aside.wh-side', editor())),
  ];
}
