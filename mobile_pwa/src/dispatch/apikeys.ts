// Console: the API keys screen (``#/api-keys``, admins only; docs/api-keys.md). Keys of
// service accounts: list (never the key itself), create with scopes (the key is shown once,
// right after), revoke (a second click confirms). Every call goes through the typed client.
import { listOf, ok, type components } from '../lib/api.js';
import { h, mount, type Child } from '../lib/dom.js';
import { currentLanguage, t } from '../lib/i18n.js';
import { api } from './state.js';
import { keyState, SCOPES, scopeWords, type Scope } from './apikey-words.js';

type ApiKey = components['schemas']['ApiKeyOut'];

const ks = {
  keys: [] as ApiKey[],
  shown: null as { id: string; key: string } | null,
  revoking: null as string | null, // asked once: the next click revokes
  error: '',
};
let root: HTMLElement | null = null;
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const when = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString(currentLanguage(), { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }) : '';

export async function showApiKeys(el: HTMLElement): Promise<void> {
  root = el;
  await load();
}

async function load(): Promise<void> {
  try {
    ks.keys = listOf<ApiKey>(await ok(api.client.GET('/api/v1/api-keys', { params: { query: { page_size: 100 } } })));
    ks.error = '';
  } catch (err) { ks.error = message(err); }
  draw();
}

function draw(): void {
  if (root) mount(root, view());
}

function createForm(): HTMLElement {
  const name = h('input', { id: 'ak-name', required: true, maxlength: 200 });
  const rate = h('input', { id: 'ak-rate', type: 'number', min: 1, max: 100000, placeholder: t('ak_default_rate') });
  const boxes = SCOPES.map((s) => h('input', { type: 'checkbox', value: s, id: `ak-scope-${s.replace(':', '-')}`, name: 'ak-scope' }));
  const msg = h('p.error', { id: 'ak-form-error', role: 'alert' });
  return h('form.wh-form', { id: 'ak-form', onsubmit: async (e: Event) => {
    e.preventDefault();
    const scopes = boxes.filter((b) => b.checked).map((b) => b.value as Scope);
    if (!scopes.length) { msg.textContent = t('ak_pick_scope'); return; }
    try {
      const made = await ok(api.client.POST('/api/v1/api-keys', {
        body: { name: name.value.trim(), scopes, rate_limit_per_minute: rate.value ? Number(rate.value) : null, service_account_id: null },
      }));
      ks.shown = { id: made.id, key: made.key };
      await load();
    } catch (err) { msg.textContent = message(err); }
  } },
  h('h3', t('ak_new')),
  h('label', { for: 'ak-name' }, t('ak_name')), name,
  h('fieldset.wh-events', h('legend', t('ak_scopes')),
    SCOPES.map((s, i) => h('label.wh-event', { title: s }, boxes[i], ' ', scopeWords(s)))),
  h('label', { for: 'ak-rate', title: t('ak_rate_hint') }, t('ak_rate')), rate,
  h('p', h('button', { id: 'ak-create', type: 'submit' }, t('ak_create'))), msg);
}

function keyRow(k: ApiKey): HTMLElement {
  const confirming = ks.revoking === k.id;
  return h('tr', { dataset: { key: k.id, active: String(k.active) } },
    h('td', h('div', k.name), h('code.muted', `${k.prefix}…`)),
    h('td', k.scopes.map(scopeWords).join(', ')),
    h('td.num', k.rate_limit_per_minute == null ? t('ak_default_rate') : t('ak_per_minute', { n: k.rate_limit_per_minute })),
    h('td', when(k.created_at)),
    h('td', k.last_used_at ? when(k.last_used_at) : t('ak_never')),
    h('td', { class: k.active ? 'ok' : 'error' }, keyState(k, when)),
    h('td', k.active ? h('button.secondary.ak-revoke', { type: 'button', onclick: async () => {
      if (!confirming) { ks.revoking = k.id; draw(); return; }
      ks.revoking = null;
      if (ks.shown?.id === k.id) ks.shown = null;
      try { await ok(api.client.POST('/api/v1/api-keys/{key_id}/revoke', { params: { path: { key_id: k.id } } })); } catch (err) { ks.error = message(err); }
      await load();
    } }, confirming ? t('ak_confirm_revoke') : t('ak_revoke')) : null));
}

function view(): Child[] {
  return [
    h('h2', t('ak_title')),
    ks.error ? h('p.error', { id: 'ak-error', role: 'alert' }, ks.error) : null,
    ks.shown ? h('div.wh-secret', { id: 'ak-key', role: 'status' }, h('strong', t('ak_key_once')), ' ', h('code', ks.shown.key)) : null,
    h('div.wh-layout',
      h('div.wh-main',
        h('p', h('button.secondary', { id: 'ak-reload', type: 'button', onclick: () => load() }, t('refresh'))),
        ks.keys.length
          ? h('table.wh-table', { id: 'ak-keys' },
            h('thead', h('tr', ['ak_name', 'ak_scopes', 'ak_rate', 'ak_created', 'ak_last_used', 'status', 'actions']
              .map((c) => h('th', { scope: 'col' }, t(c))))),
            h('tbody', ks.keys.map(keyRow)))
          : h('p.muted', { id: 'ak-none' }, t('ak_none'))),
      h('aside.wh-side', createForm())),
  ];
}
