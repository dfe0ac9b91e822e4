// Dispatcher console: map (regions, tickets by priority/SLA, engineers by status), ticket list
// with filters and SLA deadlines, candidates in words (numbers on demand), assign / override
// with a reason / reassign, the batch plan (plan.js), conflicts (conflicts.js).
// Refreshes itself every REFRESH_MS without touching what the dispatcher is typing: a box
// holding a focused or filled-in input is left alone until the next redraw the user causes.
// Leaflet is imported only here.

import 'leaflet/dist/leaflet.css';
import './style.css';
import L from 'leaflet';
import { HttpError, listOf } from '../lib/api.js';
import { h, mount } from '../lib/dom.js';
import { currentLanguage, LANGS, setLanguage, t } from '../lib/i18n.js';
import { conflictsView, loadConflicts } from './conflicts.js';
import { planView, preview } from './plan.js';
import { slaWords } from './sla.js';
import { api, engineerName, engineers, regions, say, st, tickets, TOKENS_KEY, ui } from './state.js';
import { candidateNumbers, candidateWords, reasonWords } from './words.js';

const REFRESH_MS = 15_000;
const WORLD = '-180,-90,180,90';
const PRIORITY_COLOUR = { P1: '#b3261e', P2: '#e8710a', P3: '#0b5fad', P4: '#6b7680' };
const OPEN = ['new', 'assigned', 'accepted', 'en_route', 'on_site', 'in_progress', 'on_hold'];

const root = document.getElementById('root');
let map, layers, fitted = false, timer = null;

function loginView() {
  const email = h('input', { id: 'email', type: 'email' });
  const password = h('input', { id: 'password', type: 'password' });
  const msg = h('p.error');
  return h('form.login', { onsubmit: async (e) => {
    e.preventDefault();
    try {
      const body = await api.post('/api/v1/auth/login', { email: email.value, password: password.value }, { retry: false });
      st.tokens = { access_token: body.access_token, refresh_token: body.refresh_token };
      localStorage.setItem(TOKENS_KEY, JSON.stringify(st.tokens));
      renderAll();
    } catch (err) { msg.textContent = `${t('login_failed')}: ${err.message}`; }
  } }, h('h2', t('console_title')), h('label', t('email')), email, h('label', t('password')), password,
  h('p', h('button', { id: 'login-btn', type: 'submit' }, t('login'))), msg);
}

function shell() {
  return [
    h('header', h('h1', `fieldops · ${t('console_title')}`),
      h('button', { id: 'refresh', onclick: () => refresh() }, t('refresh')),
      h('label.day', t('plan_day'), ' ',
        h('input', { id: 'plan-day', type: 'date', value: st.planDay, title: t('plan_day_hint'),
          onchange: (e) => { st.planDay = e.target.value; } })),
      h('button', { id: 'optimize', onclick: preview }, t('optimize')),
      h('select.lang', { onchange: (e) => { setLanguage(e.target.value); renderAll(); } },
        LANGS.map((l) => h('option', { value: l, selected: l === currentLanguage() }, l === 'en' ? 'EN' : '中文'))),
      h('button', { onclick: async () => { await api.logout(); st.tokens = null; localStorage.removeItem(TOKENS_KEY); renderAll(); } }, t('logout'))),
    h('div.layout', h('aside', { id: 'list' }), h('div', { id: 'map' }),
      h('aside.right', { id: 'panel' },
        h('div', { id: 'panel-message' }), h('div', { id: 'ticket-box' }), h('div', { id: 'cands-box' }),
        h('div', { id: 'plan-box' }), h('div', { id: 'conflicts-box' }))),
  ];
}

function listView() {
  const f = st.filters;
  const now = Date.now();
  const rows = tickets().filter((x) => {
    const p = x.properties;
    if (f.status === 'open' ? !OPEN.includes(p.status) : f.status && p.status !== f.status) return false;
    return !f.priority || p.priority === f.priority;
  }).sort((a, b) => String(a.properties.resolve_by).localeCompare(String(b.properties.resolve_by)));
  const sel = (name, opts) => h('select', { id: `filter-${name}`, onchange: (e) => { f[name] = e.target.value; drawList(); } },
    opts.map(([v, label]) => h('option', { value: v, selected: f[name] === v }, label)));
  return [
    h('h2', `${t('tickets')} (${rows.length})`),
    h('div.filters',
      sel('status', [['open', t('open')], ['', t('all')], ...OPEN.concat(['completed', 'cancelled']).map((s) => [s, t(`s_${s}`)])]),
      sel('priority', [['', t('all')], ['P1', 'P1'], ['P2', 'P2'], ['P3', 'P3'], ['P4', 'P4']])),
    h('ul.tl', rows.map((x) => {
      const p = x.properties;
      const sla = slaWords(p, now);
      return h(`li${st.selected === p.id ? '.sel' : ''}`, { dataset: { ticket: p.id }, onclick: () => select(p.id) },
        h('span', { class: `p ${p.priority}` }, p.priority), ' ', h('strong', p.number), ' ', p.title,
        h('div', h('span.muted', t(`s_${p.status}`)), ' · ',
          h('span', { class: sla.overdue ? 'sla-breached' : `sla-${p.sla_state}` }, sla.text),
          p.assignee_id ? h('span.muted', ` · ${engineerName(p.assignee_id)}`) : null));
    })),
  ];
}

function candidateView(c, ticket, best) {
  const reason = h('input', { placeholder: t('reason'), class: 'override-reason' });
  const needsReason = !c.eligible || (best && c.engineer_id !== best);
  const msg = h('span.error');
  const open = st.details.has(c.engineer_id);
  return h(`div.cand${c.eligible ? '' : '.ineligible'}`, { dataset: { engineer: c.engineer_id } },
    h('div', h('strong', c.name || engineerName(c.engineer_id)), ' · ',
      c.eligible ? h('span.ok', `${t('eligible')} · ${t('score')} ${Math.round(c.score)}`) : h('span.error', t('not_eligible'))),
    h('div.terms.words', candidateWords(c).join(' · ')),
    c.eta ? h('div.terms', `${t('eta')} ${new Date(c.eta).toLocaleTimeString(currentLanguage(), { hour: '2-digit', minute: '2-digit' })}`) : null,
    open ? h('div.terms.numbers', candidateNumbers(c).map((line) => h('div', line))) : null,
    needsReason ? reason : null,
    h('div.cand-actions',
      h('button', { class: needsReason ? 'secondary assign' : 'assign', onclick: async () => {
        const body = { engineer_id: c.engineer_id };
        if (needsReason) {
          if (!reason.value.trim()) { msg.textContent = t('reason_required'); return; }
          body.reason = reason.value.trim();
        }
        try {
          await api.post(`/api/v1/dispatch/tickets/${ticket.id}/assign`, body);
          say(`${ticket.number} → ${c.name || engineerName(c.engineer_id)}`);
          await refresh({ force: true });
          await loadCandidates();
        } catch (err) { msg.textContent = err.message; }
      } }, needsReason ? t('override') : ticket.assignee_id ? t('reassign') : t('assign')), ' ',
      h('button.link.details', { type: 'button', 'aria-expanded': open ? 'true' : 'false', onclick: () => {
        if (open) st.details.delete(c.engineer_id); else st.details.add(c.engineer_id);
        drawPanel();
      } }, open ? t('hide_details') : t('details')), ' ', msg));
}

function messageView() {
  const m = st.message;
  if (!m) return [];
  const data = m.data || {};
  return [h(`p.ok${m.cls ? `.${m.cls}` : ''}`, { id: 'message', dataset: data }, m.text)];
}

function ticketView() {
  const tk = tickets().find((x) => x.properties.id === st.selected)?.properties;
  if (!tk) return [h('p.muted', t('select_ticket'))];
  const sla = slaWords(tk, Date.now(), true);
  return [h('div', { id: 'ticket-panel', dataset: { ticket: tk.id, status: tk.status } },
    h('h2', h('span', { class: `p ${tk.priority}` }, tk.priority), ` ${tk.number} ${tk.title}`),
    h('div', `${t('status')}: `, h('strong', { id: 'panel-status' }, t(`s_${tk.status}`)),
      tk.assignee_id ? ` · ${t('assigned_to')} ${engineerName(tk.assignee_id)}` : ''),
    h('div', { id: 'ticket-sla', class: sla.overdue ? 'sla-breached' : `sla-${tk.sla_state}` }, sla.text),
    (tk.flags || []).length ? h('div.muted', tk.flags.map((f) => reasonWords(f)).join(', ')) : null)];
}

function candidatesView() {
  const tk = tickets().find((x) => x.properties.id === st.selected)?.properties;
  if (!tk) return [];
  const cands = st.candidates || [];
  const best = cands.find((c) => c.eligible)?.engineer_id;
  return [h('h2', t('candidates')),
    st.candidates === null ? h('p.muted', '…') : h('div', { id: 'candidates' }, cands.map((c) => candidateView(c, tk, best)))];
}

/** True when the dispatcher is working in ``box``: an input, text area or select in it has
 * focus, or a text input holds something typed. An auto-refresh leaves such a box alone. */
function inUse(box) {
  const active = document.activeElement;
  if (active && box.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) return true;
  return [...box.querySelectorAll('input:not([type=checkbox]):not([type=radio]), textarea')].some((el) => el.value.trim() !== '');
}

const BOXES = [['panel-message', messageView], ['ticket-box', ticketView], ['cands-box', candidatesView],
  ['plan-box', planView], ['conflicts-box', conflictsView]];

/** Redraw the panel; ``keepInputs`` (auto-refresh) skips the boxes in use. */
function drawPanel({ keepInputs = false } = {}) {
  for (const [id, view] of BOXES) {
    const box = document.getElementById(id);
    if (box && !(keepInputs && inUse(box))) mount(box, view());
  }
}

function drawList({ keepInputs = false } = {}) {
  const el = document.getElementById('list');
  if (el && !(keepInputs && inUse(el))) mount(el, listView());
}

function drawMap() {
  if (!map) return;
  layers.clearLayers();
  for (const f of regions()) {
    L.geoJSON(f, { style: { color: '#5b6770', weight: 1, fillOpacity: 0.06 } }).bindTooltip(f.properties.name).addTo(layers);
  }
  for (const f of tickets()) {
    const p = f.properties;
    if (!f.geometry) continue;
    const [lon, lat] = f.geometry.coordinates;
    L.circleMarker([lat, lon], {
      radius: st.selected === p.id ? 11 : 7, color: p.sla_state === 'breached' ? '#000' : p.sla_state === 'at_risk' ? '#9a6700' : '#fff',
      weight: p.sla_state === 'ok' ? 1 : 3, fillColor: PRIORITY_COLOUR[p.priority] || '#0b5fad', fillOpacity: p.assignee_id ? 0.55 : 0.95,
      className: `ticket-marker t-${p.id} s-${p.status}`,
    }).bindTooltip(`${p.number} ${p.title} (${t(`s_${p.status}`)})`).on('click', () => select(p.id)).addTo(layers);
  }
  for (const f of engineers()) {
    const p = f.properties;
    const [lon, lat] = f.geometry.coordinates;
    L.marker([lat, lon], { icon: L.divIcon({ className: `eng-icon ${p.status}`, iconSize: [14, 14] }) })
      .bindTooltip(`${p.name} · ${p.status} · ${p.open_jobs}/${p.max_open_jobs}`).addTo(layers);
  }
  // The selected ticket's assignee (solid) and the recommended runner-up (dashed).
  const sel = tickets().find((x) => x.properties.id === st.selected);
  const engAt = (id) => engineers().find((e) => e.properties.id === id)?.geometry.coordinates;
  if (sel) {
    const [tl, ta] = sel.geometry.coordinates;
    const a = engAt(sel.properties.assignee_id || sel.properties.chosen_engineer_id);
    if (a) L.polyline([[ta, tl], [a[1], a[0]]], { color: '#1a7f37', weight: 3, className: 'assign-line' }).addTo(layers);
    const r = engAt(sel.properties.runner_up_engineer_id);
    if (r) L.polyline([[ta, tl], [r[1], r[0]]], { color: '#9a6700', dashArray: '4 6' }).addTo(layers);
  }
  for (const route of st.plan?.routes || []) {
    const start = engAt(route.engineer_id);
    const pts = (route.tickets || []).map((s) => tickets().find((x) => x.properties.id === s.ticket_id)?.geometry.coordinates).filter(Boolean);
    const line = [start, ...pts].filter(Boolean).map(([lon, lat]) => [lat, lon]);
    if (line.length > 1) L.polyline(line, { color: '#7b1fa2', weight: 3, className: 'plan-line' }).addTo(layers);
  }
  if (!fitted && layers.getLayers().length) {
    const b = L.featureGroup(layers.getLayers()).getBounds();
    if (b.isValid()) { map.fitBounds(b.pad(0.1)); fitted = true; }
  }
}

async function select(id) {
  st.selected = id;
  st.candidates = null;
  say('');
  drawList(); drawPanel(); drawMap();
  await loadCandidates();
}

async function loadCandidates() {
  if (!st.selected) return;
  try {
    st.candidates = listOf(await api.get(`/api/v1/dispatch/tickets/${st.selected}/candidates`));
  } catch (err) { st.candidates = []; say(err.message); }
  drawPanel();
}

/** Reload the map data and conflicts. The timer's refresh keeps boxes in use; one the
 * dispatcher asked for (``force``) redraws everything. */
async function refresh({ force = false } = {}) {
  clearTimeout(timer);
  try {
    const data = await api.get(`/api/v1/dispatch/map?bbox=${WORLD}`);
    st.features = data.features || [];
    await loadConflicts();
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) return;
    say(err.message);
  }
  drawList({ keepInputs: !force }); drawPanel({ keepInputs: !force }); drawMap();
  document.body.dataset.refreshedAt = String(Date.now());
  timer = setTimeout(() => refresh(), REFRESH_MS);
}

async function loadConfig() {
  try { st.config = await (await fetch('/app/config.json')).json(); } catch { st.config = {}; }
}

function renderAll() {
  clearTimeout(timer);
  if (map) { map.remove(); map = null; fitted = false; }
  if (!st.tokens) { mount(root, loginView()); return; }
  mount(root, shell());
  map = L.map('map', { zoomControl: true, preferCanvas: false }).setView([0, 0], 2);
  // No tile URL configured (or no network): regions, tickets and engineers still draw on the
  // plain background of #map.
  if (st.config.tile_url) {
    L.tileLayer(st.config.tile_url, { maxZoom: 19, attribution: st.config.tile_attribution || '' }).addTo(map);
  }
  layers = L.layerGroup().addTo(map);
  drawPanel();
  refresh({ force: true });
}

Object.assign(ui, { renderAll, drawPanel: () => drawPanel(), drawMap, refresh: () => refresh({ force: true }) });
loadConfig().then(renderAll);
