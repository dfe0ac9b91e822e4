// Dispatcher console: map (regions, tickets by priority/SLA, engineers by status), ticket list
// with filters and SLA deadlines, candidates in words (numbers on demand), assign / override
// with a reason / reassign, the batch plan (plan.js), conflicts (conflicts.js), the day's
// timeline under the map (timeline.js).
// Refreshes itself every REFRESH_MS without touching what the dispatcher is typing: a box
// holding a focused or filled-in input is left alone until the next redraw the user causes.
// Leaflet is imported only here. Every call goes through the typed client (api.client).

import 'leaflet/dist/leaflet.css';
import './style.css';
import L from 'leaflet';
import { HttpError, listOf, ok } from '../lib/api.js';
import { h, mount, patch, type Child } from '../lib/dom.js';
import { currentLanguage, LANGS, setLanguage, t } from '../lib/i18n.js';
import { conflictsView, loadConflicts } from './conflicts.js';
import { addLegend, ASSIGNED_OPACITY, LINES, PRIORITY_COLOUR, SLA_RING } from './legend.js';
import { planView, preview } from './plan.js';
import { slaWords } from './sla.js';
import { drawTimeline, loadTimeline, resetTimeline, showEngineer } from './timeline.js';
import { timesheetsView } from './timesheets.js';
import { showImports } from './imports.js';
import { showRules } from './rules.js';
import { showWebhooks } from './webhooks.js';
import { showApiKeys } from './apikeys.js';
import {
  api, engineerName, engineers, pointOf, regions, say, st, tickets, TOKENS_KEY, ui,
  type Candidate, type EngineerProps, type Feature, type TicketProps,
} from './state.js';
import { candidateNumbers, candidateWords, reasonWords } from './words.js';

const REFRESH_MS = 15_000;
const WORLD = '-180,-90,180,90';
const REGION_LABELS = 'regionLabels';
const OPEN = ['new', 'assigned', 'accepted', 'en_route', 'on_site', 'in_progress', 'on_hold'];

const root = document.getElementById('root') as HTMLElement;
let map: L.Map | null = null;
let layers: L.LayerGroup | null = null;
let fitted = false;
let timer: ReturnType<typeof setTimeout> | undefined;
// A 401 from the login form is the answer, not a reason to refresh a token (the client passes
// options it does not know through; spread so the typed options need not name it).
const NO_RETRY: object = { retry: false };
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const valueOf = (e: Event): string => (e.target as HTMLInputElement | HTMLSelectElement).value;

function loginView(): HTMLElement {
  const email = h('input', { id: 'email', type: 'email' });
  const password = h('input', { id: 'password', type: 'password' });
  const msg = h('p.error');
  return h('form.login', { onsubmit: async (e: Event) => {
    e.preventDefault();
    try {
      const body = await ok(api.client.POST('/api/v1/auth/login', {
        body: { email: email.value, password: password.value }, ...NO_RETRY,
      }));
      st.tokens = { access_token: body.access_token, refresh_token: body.refresh_token };
      localStorage.setItem(TOKENS_KEY, JSON.stringify(st.tokens));
      renderAll();
    } catch (err) { msg.textContent = `${t('login_failed')}: ${message(err)}`; }
  } }, h('h2', t('console_title')), h('label', { for: 'email' }, t('email')), email, h('label', { for: 'password' }, t('password')), password,
  h('p', h('button', { id: 'login-btn', type: 'submit' }, t('login'))), msg);
}

/** The console's screens: the map (``#/``), Insights (``#/insights``, its code loaded only
 * when it is opened), Imports (``#/imports``) and, for admins, Webhooks (``#/webhooks``), API
 * keys (``#/api-keys``) and automation Rules (``#/rules``). */
type Screen = 'map' | 'insights' | 'webhooks' | 'imports' | 'api-keys' | 'rules';
const screen = (): Screen =>
  location.hash.startsWith('#/insights') ? 'insights'
    : location.hash.startsWith('#/webhooks') && role === 'admin' ? 'webhooks'
      : location.hash.startsWith('#/api-keys') && role === 'admin' ? 'api-keys'
        : location.hash.startsWith('#/rules') && role === 'admin' ? 'rules'
          : location.hash.startsWith('#/imports') ? 'imports' : 'map';
// The signed-in user's role (GET /api/v1/me), read once per login: only admins see Webhooks.
let role: string | null = null;

async function loadRole(): Promise<void> {
  try { role = (await ok(api.client.GET('/api/v1/me'))).role ?? ''; } catch { role = ''; }
}

function header(shown: Screen): HTMLElement {
  // Every screen links to every other one it may open (Insights was once only on the map).
  const insights = shown !== 'map';
  return h('header', h('h1', `fieldops · ${t('console_title')}`),
    shown !== 'map' ? h('a.nav', { id: 'nav-map', href: '#/' }, t('map_screen')) : null,
    shown !== 'insights' ? h('a.nav', { id: 'nav-insights', href: '#/insights' }, t('insights')) : null,
    shown !== 'imports' ? h('a.nav', { id: 'nav-imports', href: '#/imports' }, t('imports')) : null,
    role === 'admin' && shown !== 'webhooks' ? h('a.nav', { id: 'nav-webhooks', href: '#/webhooks' }, t('webhooks')) : null,
    role === 'admin' && shown !== 'api-keys' ? h('a.nav', { id: 'nav-api-keys', href: '#/api-keys' }, t('api_keys')) : null,
    role === 'admin' && shown !== 'rules' ? h('a.nav', { id: 'nav-rules', href: '#/rules' }, t('rules')) : null,
    insights ? null : h('button', { id: 'refresh', onclick: () => refresh() }, t('refresh')),
    insights ? null : h('label.day', t('plan_day'), ' ',
      h('input', { id: 'plan-day', type: 'date', value: st.planDay, title: t('plan_day_hint'),
        onchange: (e: Event) => { st.planDay = valueOf(e); } })),
    insights ? null : h('button', { id: 'optimize', onclick: preview }, t('optimize')),
    h('select.lang', { 'aria-label': t('language'), onchange: (e: Event) => { setLanguage(valueOf(e)); renderAll(); } },
      LANGS.map((l) => h('option', { value: l, selected: l === currentLanguage() }, l === 'en' ? 'EN' : '中文'))),
    h('button', { onclick: async () => { await api.logout(); st.tokens = null; role = null; localStorage.removeItem(TOKENS_KEY); renderAll(); } }, t('logout')));
}

function shell(): Child[] {
  return [
    header('map'),
    h('div.layout', h('aside', { id: 'list' }),
      h('div.centre', h('div', { id: 'map' }),
        h('section', { id: 'timeline-box', 'aria-label': t('tl_title') },
          h('div', { id: 'timeline-bar' }), h('div', { id: 'timeline-note' }), h('div', { id: 'timeline' }))),
      h('aside.right', { id: 'panel' },
        h('div', { id: 'panel-message' }), h('div', { id: 'ticket-box' }), h('div', { id: 'cands-box' }),
        h('div', { id: 'plan-box' }), h('div', { id: 'conflicts-box' }), h('section', { id: 'timesheets-box', 'aria-label': t('ts_sheets') }))),
  ];
}

/** Enter or Space on a focused row or marker does what a click does (issue #12 §4: everything
 * a mouse reaches, a keyboard reaches). */
function onActivate(e: KeyboardEvent, act: () => void): void {
  if (e.key !== 'Enter' && e.key !== ' ') return;
  e.preventDefault();
  act();
}

/** A ticket's circle on the map is an SVG path Leaflet leaves out of the Tab order and unnamed
 * (an engineer's icon is focusable but acts on neither key): make it a named, focusable button
 * that Enter or Space activates. */
function keyboardMarker(el: Element | undefined, name: string, act: () => void): void {
  if (!el) return;
  el.setAttribute('tabindex', '0');
  el.setAttribute('role', 'button');
  el.setAttribute('aria-label', name);
  el.addEventListener('keydown', (e) => onActivate(e as KeyboardEvent, act));
}

function listView(): Child[] {
  const f = st.filters;
  const now = Date.now();
  const rows = tickets().filter((x) => {
    const p = x.properties;
    if (f.status === 'open' ? !OPEN.includes(p.status) : f.status && p.status !== f.status) return false;
    return !f.priority || p.priority === f.priority;
  }).sort((a, b) => String(a.properties.resolve_by).localeCompare(String(b.properties.resolve_by)));
  const sel = (name: 'status' | 'priority', opts: [string, string][]): HTMLElement =>
    h('select', { id: `filter-${name}`, 'aria-label': t(`filter_${name}`), onchange: (e: Event) => { f[name] = valueOf(e); drawList(); } },
      opts.map(([v, label]) => h('option', { value: v, selected: f[name] === v }, label)));
  return [
    h('h2', `${t('tickets')} (${rows.length})`),
    h('div.filters',
      sel('status', [['open', t('open')], ['', t('all')], ...OPEN.concat(['completed', 'cancelled']).map((s): [string, string] => [s, t(`s_${s}`)])]),
      sel('priority', [['', t('all')], ['P1', 'P1'], ['P2', 'P2'], ['P3', 'P3'], ['P4', 'P4']])),
    h('ul.tl', rows.map((x) => {
      const p = x.properties;
      const sla = slaWords(p, now);
      return h(`li${st.selected === p.id ? '.sel' : ''}`, { dataset: { ticket: p.id }, tabindex: '0', onclick: () => select(p.id),
        onkeydown: (e: KeyboardEvent) => onActivate(e, () => select(p.id)) },
        h('span', { class: `p ${p.priority}` }, p.priority), ' ', h('strong', p.number), ' ', p.title,
        h('div', h('span.muted', t(`s_${p.status}`)), ' · ',
          h('span', { class: sla.overdue ? 'sla-breached' : `sla-${p.sla_state}` }, sla.text),
          p.assignee_id ? h('span.muted', ` · ${engineerName(p.assignee_id)}`) : null));
    })),
  ];
}

function candidateView(c: Candidate, ticket: TicketProps, best: string | undefined): HTMLElement {
  const id = c.engineer_id ?? '';
  const reason = h('input', { placeholder: t('reason'), class: 'override-reason' });
  const needsReason = !c.eligible || (best && c.engineer_id !== best);
  const msg = h('span.error');
  const open = st.details.has(id);
  return h(`div.cand${c.eligible ? '' : '.ineligible'}`, { dataset: { engineer: id } },
    h('div', h('strong', c.name || engineerName(id)), ' · ',
      c.eligible ? h('span.ok', `${t('eligible')} · ${t('score')} ${Math.round(c.score ?? 0)}`) : h('span.error', t('not_eligible'))),
    h('div.terms.words', candidateWords(c).join(' · ')),
    c.eta ? h('div.terms', `${t('eta')} ${new Date(c.eta).toLocaleTimeString(currentLanguage(), { hour: '2-digit', minute: '2-digit' })}`) : null,
    open ? h('div.terms.numbers', candidateNumbers(c).map((line) => h('div', line))) : null,
    needsReason ? reason : null,
    h('div.cand-actions',
      h('button', { class: needsReason ? 'secondary assign' : 'assign', onclick: async () => {
        const why = reason.value.trim();
        if (needsReason && !why) { msg.textContent = t('reason_required'); return; }
        try {
          await ok(api.client.POST('/api/v1/dispatch/tickets/{ticket_id}/assign', {
            params: { path: { ticket_id: ticket.id } },
            body: { engineer_id: id, reason: needsReason ? why : null },
          }));
          say(`${ticket.number} → ${c.name || engineerName(id)}`);
          await refresh({ force: true });
          await loadCandidates();
        } catch (err) { msg.textContent = message(err); }
      } }, needsReason ? t('override') : ticket.assignee_id ? t('reassign') : t('assign')), ' ',
      h('button.link.details', { type: 'button', 'aria-expanded': open ? 'true' : 'false', onclick: () => {
        if (open) st.details.delete(id); else st.details.add(id);
        drawPanel();
      } }, open ? t('hide_details') : t('details')), ' ', msg));
}

function messageView(): Child[] {
  const m = st.message;
  if (!m) return [];
  const data = m.data || {};
  return [h(`p.ok${m.cls ? `.${m.cls}` : ''}`, { id: 'message', dataset: data }, m.text)];
}

function ticketView(): Child[] {
  const tk = tickets().find((x) => x.properties.id === st.selected)?.properties;
  if (!tk) return [h('p.muted', t('select_ticket'))];
  const sla = slaWords(tk, Date.now(), true);
  return [h('div', { id: 'ticket-panel', dataset: { ticket: tk.id, status: tk.status } },
    h('h2', h('span', { class: `p ${tk.priority}` }, tk.priority), ` ${tk.number} ${tk.title}`),
    h('div', `${t('status')}: `, h('strong', { id: 'panel-status' }, t(`s_${tk.status}`)),
      tk.assignee_id ? ` · ${t('assigned_to')} ${engineerName(tk.assignee_id)}` : ''),
    h('div', { id: 'ticket-sla', class: sla.overdue ? 'sla-breached' : `sla-${tk.sla_state}` }, sla.text),
    tk.flags.length ? h('div.muted', tk.flags.map((f) => reasonWords(f)).join(', ')) : null)];
}

function candidatesView(): Child[] {
  const tk = tickets().find((x) => x.properties.id === st.selected)?.properties;
  if (!tk) return [];
  const cands = st.candidates || [];
  const best = cands.find((c) => c.eligible)?.engineer_id;
  return [h('h2', t('candidates')),
    st.candidates === null ? h('p.muted', '…') : h('div', { id: 'candidates' }, cands.map((c) => candidateView(c, tk, best)))];
}

/** True when the dispatcher is working in ``box``: an input, text area or select in it has
 * focus, or a text input holds something typed. An auto-refresh leaves such a box alone. */
function inUse(box: HTMLElement): boolean {
  const active = document.activeElement;
  if (active && box.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) return true;
  return [...box.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input:not([type=checkbox]):not([type=radio]), textarea')]
    .some((el) => el.value.trim() !== '');
}

const BOXES: [string, () => Child[]][] = [['panel-message', messageView], ['ticket-box', ticketView], ['cands-box', candidatesView],
  ['plan-box', planView], ['conflicts-box', conflictsView], ['timesheets-box', timesheetsView]];

/** Boxes redrawn by patching in place rather than replaced: the plan box is redrawn every
 * second while a queued plan runs, and a replaced box loses the keyboard focus (Tab never
 * reached "Cancel the plan") and its live region (a new one is not announced). Its handlers
 * read only ``st``, never a neighbour they closed over, as ``patch`` requires. */
const PATCHED = new Set(['plan-box']);

/** Redraw the panel; ``keepInputs`` (auto-refresh) skips the boxes in use. */
function drawPanel({ keepInputs = false } = {}): void {
  for (const [id, view] of BOXES) {
    const box = document.getElementById(id);
    if (box && !(keepInputs && inUse(box))) (PATCHED.has(id) ? patch : mount)(box, view());
  }
}

function drawList({ keepInputs = false } = {}): void {
  const el = document.getElementById('list');
  if (el && !(keepInputs && inUse(el))) mount(el, listView());
}

/** An engineer as a screen reader hears the marker: "Ada, busy, 2 of 3 jobs". */
function engineerWords(p: EngineerProps): string {
  return `${p.name}, ${t(`e_${p.status}`)}, ${t('eng_jobs', { n: p.open_jobs, max: p.max_open_jobs })}`;
}

function drawMap(): void {
  if (!map || !layers) return;
  const group = layers;
  group.clearLayers();
  for (const f of regions()) {
    const name = f.properties && 'name' in f.properties ? f.properties.name : '';
    // No tiles: the region's name stays on the map at its centre.
    L.geoJSON(f as GeoJSON.Feature, { style: { color: '#5b6770', weight: 1, fillOpacity: 0.06 } })
      .bindTooltip(name, { permanent: true, direction: 'center', className: 'region-label', pane: REGION_LABELS }).addTo(group);
  }
  for (const f of tickets()) {
    const p = f.properties;
    const at = pointOf(f);
    if (!at) continue;
    const [lon, lat] = at;
    const name = `${p.number} ${p.title} (${t(`s_${p.status}`)})`;
    const ring = SLA_RING[p.sla_state] ?? SLA_RING.ok!;
    const marker = L.circleMarker([lat, lon], {
      radius: st.selected === p.id ? 11 : 7, color: ring.color, weight: ring.weight,
      fillColor: PRIORITY_COLOUR[p.priority] || '#0b5fad', fillOpacity: p.assignee_id ? ASSIGNED_OPACITY : 0.95,
      className: `ticket-marker t-${p.id} s-${p.status}`,
    }).bindTooltip(name).on('click', () => select(p.id)).addTo(group);
    keyboardMarker(marker.getElement(), name, () => select(p.id));
  }
  for (const f of engineers()) {
    const p = f.properties;
    const at = pointOf(f);
    if (!at) continue;
    const name = engineerWords(p);
    // The panel's boxes in use (a reason being typed) are left alone: only the message changes.
    const open = (): void => { showEngineer(p.id); say(t('showing_engineer', { name: p.name })); drawPanel({ keepInputs: true }); };
    // The name stays next to the icon; Enter, Space or a click shows the engineer's day.
    const marker = L.marker([at[1], at[0]], {
      icon: L.divIcon({ className: `eng-icon ${p.status} e-${p.id}`, iconSize: [14, 14] }), title: name,
    }).bindTooltip(p.name, { permanent: true, direction: 'right', offset: [8, 0], className: 'eng-label' })
      .on('click', open).addTo(group);
    keyboardMarker(marker.getElement(), name, open);
  }
  // The selected ticket's assignee (solid) and the recommended runner-up (dashed).
  const sel = tickets().find((x) => x.properties.id === st.selected);
  const engAt = (id: string | null | undefined): [number, number] | null =>
    pointOf(engineers().find((e) => e.properties.id === id) as Feature | undefined);
  const ticketAt = (id: string | undefined): [number, number] | null =>
    pointOf(tickets().find((x) => x.properties.id === id) as Feature | undefined);
  const latLng = ([lon, lat]: [number, number]): L.LatLngTuple => [lat, lon];
  const here = sel ? pointOf(sel) : null;
  if (sel && here) {
    const a = engAt(sel.properties.assignee_id || sel.properties.chosen_engineer_id);
    if (a) L.polyline([latLng(here), latLng(a)], { ...LINES.assign, className: 'assign-line' }).addTo(group);
    const r = engAt(sel.properties.runner_up_engineer_id);
    if (r) L.polyline([latLng(here), latLng(r)], LINES.runnerUp).addTo(group);
  }
  for (const route of st.plan?.routes || []) {
    const points = [engAt(route.engineer_id), ...(route.tickets || []).map((s) => ticketAt(s.ticket_id))];
    const line = points.filter((x): x is [number, number] => x !== null).map(latLng);
    if (line.length > 1) L.polyline(line, { ...LINES.plan, className: 'plan-line' }).addTo(group);
  }
  if (!fitted && group.getLayers().length) {
    const b = L.featureGroup(group.getLayers()).getBounds();
    if (b.isValid()) { map.fitBounds(b.pad(0.1)); fitted = true; }
  }
}

async function select(id: string): Promise<void> {
  st.selected = id;
  st.candidates = null;
  say('');
  drawList(); drawPanel(); drawMap();
  await loadCandidates();
}

async function loadCandidates(): Promise<void> {
  if (!st.selected) return;
  try {
    st.candidates = listOf<Candidate>(await ok(api.client.GET('/api/v1/dispatch/tickets/{ticket_id}/candidates', {
      params: { path: { ticket_id: st.selected } },
    })));
  } catch (err) { st.candidates = []; say(message(err)); }
  drawPanel();
}

/** Reload the map data and conflicts. The timer's refresh keeps boxes in use; one the
 * dispatcher asked for (``force``) redraws everything. */
async function refresh({ force = false } = {}): Promise<void> {
  clearTimeout(timer);
  try {
    const data = await ok(api.client.GET('/api/v1/dispatch/map', { params: { query: { bbox: WORLD } } }));
    st.features = data.features || [];
    await loadConflicts();
    await loadTimeline();
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) return;
    say(message(err));
  }
  drawList({ keepInputs: !force }); drawPanel({ keepInputs: !force }); drawMap(); drawTimeline();
  document.body.dataset.refreshedAt = String(Date.now());
  timer = setTimeout(() => refresh(), REFRESH_MS);
}

async function loadConfig(): Promise<void> {
  try { st.config = await ok(api.client.GET('/app/config.json')); } catch { st.config = {}; }
}

let insights: Promise<typeof import('./insights/insights.js')> | null = null;

function renderAll(): void {
  clearTimeout(timer);
  if (map) { map.remove(); map = null; fitted = false; }
  resetTimeline();
  insights?.then((m) => m.hideInsights());
  if (!st.tokens) { role = null; mount(root, loginView()); return; }
  if (role === null) { void loadRole().then(renderAll); return; }
  const shown = screen();
  if (shown === 'webhooks') {
    mount(root, [header(shown), h('main.webhooks', { id: 'webhooks-root' })]);
    showWebhooks(document.getElementById('webhooks-root') as HTMLElement).catch((err: unknown) => { say(message(err)); });
    return;
  }
  if (shown === 'imports') {
    mount(root, [header(shown), h('main.webhooks', { id: 'imports-root' })]);
    showImports(document.getElementById('imports-root') as HTMLElement).catch((err: unknown) => { say(message(err)); });
    return;
  }
  if (shown === 'rules') {
    mount(root, [header(shown), h('main.webhooks', { id: 'rules-root' })]);
    showRules(document.getElementById('rules-root') as HTMLElement).catch((err: unknown) => { say(message(err)); });
    return;
  }
  if (shown === 'api-keys') {
    mount(root, [header(shown), h('main.webhooks', { id: 'api-keys-root' })]);
    showApiKeys(document.getElementById('api-keys-root') as HTMLElement).catch((err: unknown) => { say(message(err)); });
    return;
  }
  if (shown === 'insights') {
    mount(root, [header(shown), h('main.insights', { id: 'insights-root' })]);
    insights ??= import('./insights/insights.js');
    insights.then((m) => m.showInsights(document.getElementById('insights-root') as HTMLElement))
      .catch((err: unknown) => { say(message(err)); });
    return;
  }
  mount(root, shell());
  map = L.map('map', { zoomControl: true, preferCanvas: false }).setView([0, 0], 2);
  // No tile URL configured (or no network): regions, tickets and engineers still draw on the
  // plain background of #map.
  if (st.config.tile_url) {
    L.tileLayer(st.config.tile_url, { maxZoom: 19, attribution: st.config.tile_attribution || '' }).addTo(map);
  }
  // Region names lie under the tickets and engineers (above the map's background only), so a
  // label at a region's centre never hides a marker.
  const labels = map.createPane(REGION_LABELS);
  labels.style.zIndex = '350';
  labels.style.pointerEvents = 'none';
  layers = L.layerGroup().addTo(map);
  addLegend(map);
  drawPanel();
  refresh({ force: true });
}

Object.assign(ui, { renderAll, drawPanel: () => drawPanel(), drawMap: () => { drawMap(); drawTimeline(); }, refresh: () => refresh({ force: true }) });
window.addEventListener('hashchange', () => renderAll());
loadConfig().then(renderAll);
