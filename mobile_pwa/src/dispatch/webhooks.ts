// Console: the Webhooks screen (``#/webhooks``, admins only; docs/webhooks.md). Subscriptions:
// list, create (the signing secret is shown once), turn on/off, delete (a second click
// confirms). The delivery log of the chosen subscription: status, attempts, HTTP status,
// latency, response excerpt; redeliver one, or every failed one. Every call goes through the
// typed client; the event types come from the API (GET /api/v1/webhooks/event-types).
import { listOf, ok, type components } from '../lib/api.js';
import { h, mount, type Child } from '../lib/dom.js';
import { currentLanguage, t } from '../lib/i18n.js';
import { api } from './state.js';
import { eventWords, excerpt, subscriptionWords } from './webhook-words.js';

type Schemas = components['schemas'];
export type Subscription = Schemas['SubscriptionOut'];
export type Delivery = Schemas['DeliveryOut'];
type EventType = Schemas['EventTypeOut'];

const ws = {
  types: [] as EventType[],
  subs: [] as Subscription[],
  selected: null as string | null,
  deliveries: [] as Delivery[],
  secret: null as { id: string; secret: string } | null,
  deleting: null as string | null, // asked once: the next click deletes
  error: '',
  note: '',
};
let root: HTMLElement | null = null;
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const when = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString(currentLanguage(), { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '';

export async function showWebhooks(el: HTMLElement): Promise<void> {
  root = el;
  await load();
}

async function load(): Promise<void> {
  try {
    if (!ws.types.length) ws.types = await ok(api.client.GET('/api/v1/webhooks/event-types'));
    ws.subs = listOf<Subscription>(await ok(api.client.GET('/api/v1/webhooks', { params: { query: { page_size: 100 } } })));
    if (ws.selected && !ws.subs.some((s) => s.id === ws.selected)) ws.selected = null;
    ws.deliveries = ws.selected
      ? listOf<Delivery>(await ok(api.client.GET('/api/v1/webhooks/{subscription_id}/deliveries', {
        params: { path: { subscription_id: ws.selected }, query: { page_size: 100 } },
      })))
      : [];
    ws.error = '';
  } catch (err) { ws.error = message(err); }
  draw();
}

function draw(): void {
  if (root) mount(root, view());
}

/** Do ``work`` (an API call), say what it answers (a string: the note to show), reload. */
async function act(work: () => Promise<unknown>): Promise<void> {
  try {
    const said = await work();
    ws.note = typeof said === 'string' ? said : '';
    ws.error = '';
  } catch (err) { ws.error = message(err); ws.note = ''; }
  await load();
}

function createForm(): HTMLElement {
  const url = h('input', { id: 'wh-url', type: 'url', required: true, placeholder: 'https://' });
  const description = h('input', { id: 'wh-description', maxlength: 200 });
  const boxes = ws.types.map((e) => h('input', { type: 'checkbox', value: e.type, id: `wh-ev-${e.type.replace(/\./g, '-')}`, name: 'wh-event' }));
  const msg = h('p.error', { id: 'wh-form-error', role: 'alert' });
  return h('form.wh-form', { id: 'wh-form', onsubmit: async (e: Event) => {
    e.preventDefault();
    // The boxes are the API's own event types (GET /event-types).
    const types = boxes.filter((b) => b.checked).map((b) => b.value) as Schemas['SubscriptionCreateIn']['event_types'];
    if (!types.length) { msg.textContent = t('wh_pick_event'); return; }
    try {
      const made = await ok(api.client.POST('/api/v1/webhooks', {
        body: { url: url.value.trim(), event_types: types, description: description.value.trim(), active: true },
      }));
      ws.secret = { id: made.id, secret: made.secret };
      ws.selected = made.id;
      ws.note = '';
      await load();
    } catch (err) { msg.textContent = message(err); }
  } },
  h('h3', t('wh_new')),
  h('label', { for: 'wh-url' }, t('wh_url')), url,
  h('label', { for: 'wh-description' }, t('wh_description')), description,
  h('fieldset.wh-events', h('legend', t('wh_events')),
    ws.types.map((e, i) => h('label.wh-event', { title: e.description }, boxes[i], ' ', eventWords(e.type)))),
  h('p', h('button', { id: 'wh-create', type: 'submit' }, t('wh_create'))), msg);
}

function subscriptionRow(s: Subscription): HTMLElement {
  const chosen = ws.selected === s.id;
  const confirming = ws.deleting === s.id;
  return h(`tr${chosen ? '.sel' : ''}`, { dataset: { subscription: s.id, active: String(s.active) } },
    h('td.wh-target', h('div', h('code', s.url)), s.description ? h('div.muted', s.description) : null),
    h('td', s.event_types.map(eventWords).join(', ')),
    h('td', { class: s.active ? 'ok' : 'error' }, subscriptionWords(s)),
    h('td.wh-actions',
      h('button.secondary.wh-log', { type: 'button', 'aria-pressed': chosen ? 'true' : 'false', onclick: () => { ws.selected = s.id; ws.deleting = null; void load(); } }, t('wh_log')), ' ',
      h('button.secondary.wh-toggle', { type: 'button', onclick: () => act(() => ok(api.client.PATCH('/api/v1/webhooks/{subscription_id}', {
        params: { path: { subscription_id: s.id } }, body: { active: !s.active },
      }))) }, s.active ? t('wh_off') : t('wh_on')), ' ',
      h('button.secondary.wh-delete', { type: 'button', onclick: () => {
        if (!confirming) { ws.deleting = s.id; draw(); return; }
        ws.deleting = null;
        if (ws.secret?.id === s.id) ws.secret = null;
        void act(() => ok(api.client.DELETE('/api/v1/webhooks/{subscription_id}', { params: { path: { subscription_id: s.id } } })));
      } }, confirming ? t('wh_confirm_delete') : t('wh_delete'))));
}

function deliveryRow(d: Delivery): HTMLElement {
  const finished = d.status === 'succeeded' || d.status === 'failed';
  return h('tr', { dataset: { delivery: d.id, status: d.status } },
    h('td', when(d.created_at)),
    h('td', eventWords(d.event_type)),
    h('td', h('span', { class: `wh-status ${d.status}` }, t(`wh_ds_${d.status}`)),
      d.status === 'pending' && d.next_attempt_at ? h('div.muted', t('wh_next', { t: when(d.next_attempt_at) })) : null),
    h('td.num', String(d.attempts)),
    h('td.num', d.last_status_code == null ? '—' : String(d.last_status_code)),
    h('td.num', d.last_latency_ms == null ? '—' : t('wh_ms', { n: d.last_latency_ms })),
    h('td.wh-response', d.last_error ? h('div.error', excerpt(d.last_error)) : null,
      d.last_response ? h('code', { title: d.last_response }, excerpt(d.last_response)) : null),
    h('td', finished ? h('button.secondary.wh-redeliver', { type: 'button', onclick: () => act(async () => {
      await ok(api.client.POST('/api/v1/webhooks/deliveries/{delivery_id}/redeliver', { params: { path: { delivery_id: d.id } } }));
      return t('wh_redelivered');
    }) }, t('wh_redeliver')) : null));
}

function logView(): Child {
  const sub = ws.subs.find((s) => s.id === ws.selected);
  if (!sub) return h('p.muted', { id: 'wh-log-hint' }, t('wh_pick_log'));
  const failed = ws.deliveries.filter((d) => d.status === 'failed').length;
  return h('section', { id: 'wh-log', 'aria-label': t('wh_log') },
    h('h3', `${t('wh_log')}: `, h('code', sub.url)),
    h('p',
      h('button.secondary', { id: 'wh-reload', type: 'button', onclick: () => load() }, t('refresh')), ' ',
      h('button', { id: 'wh-redeliver-failed', type: 'button', disabled: !failed || !sub.active, onclick: () => act(async () => {
        const done = await ok(api.client.POST('/api/v1/webhooks/{subscription_id}/redeliver-failed', { params: { path: { subscription_id: sub.id } } }));
        return t('wh_queued', { n: done.queued });
      }) }, t('wh_redeliver_failed'))),
    ws.deliveries.length
      ? h('table.wh-table', { id: 'wh-deliveries' },
        h('thead', h('tr', ['wh_time', 'wh_event', 'wh_status', 'wh_attempts', 'wh_http', 'wh_latency', 'wh_response', 'actions']
          .map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', ws.deliveries.map(deliveryRow)))
      : h('p.muted', t('wh_no_deliveries')));
}

function view(): Child[] {
  return [
    h('h2', t('wh_title')),
    ws.error ? h('p.error', { id: 'wh-error', role: 'alert' }, ws.error) : null,
    ws.note ? h('p.ok', { id: 'wh-note', role: 'status' }, ws.note) : null,
    ws.secret ? h('div.wh-secret', { id: 'wh-secret', role: 'status' },
      h('strong', t('wh_secret_once')), ' ', h('code', ws.secret.secret)) : null,
    h('div.wh-layout',
      h('div.wh-main',
        ws.subs.length
          ? h('table.wh-table', { id: 'wh-subs' },
            h('thead', h('tr', ['wh_url', 'wh_events', 'status', 'actions'].map((k) => h('th', { scope: 'col' }, t(k))))),
            h('tbody', ws.subs.map(subscriptionRow)))
          : h('p.muted', { id: 'wh-none' }, t('wh_none')),
        logView()),
      h('aside.wh-side', createForm())),
  ];
}
