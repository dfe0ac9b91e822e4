// Dispatcher console: map (regions, tickets by priority/SLA, engineers by status), ticket list
// with filters and SLA countdowns, candidates with their score terms or reasons, assign /
// override with a reason / reassign, optimize preview drawn on the map then apply, conflicts.
// Refreshes itself every REFRESH_MS. Leaflet is imported only here.

import 'leaflet/dist/leaflet.css';
import './style.css';
import L from 'leaflet';
import { createApi, HttpError, listOf, webStorageTokens } from '../lib/api.js';
import { countdown, h, mount } from '../lib/dom.js';
import { currentLanguage, LANGS, setLanguage, t } from '../lib/i18n.js';

const REFRESH_MS = 15_000;
const WORLD = '-180,-90,180,90';
const PRIORITY_COLOUR = { P1: '#b3261e', P2: '#e8710a', P3: '#0b5fad', P4: '#6b7680' };
const TOKENS_KEY = 'fieldops.console.tokens';

const st = {
  tokens: JSON.parse(localStorage.getItem(TOKENS_KEY) || 'null'),
  features: [], selected: null, candidates: null, plan: null, conflicts: [],
  filters: { status: 'open', priority: '' }, message: '', config: {},
};
const stored = webStorageTokens(localStorage, TOKENS_KEY);
const api = createApi({
  getTokens: () => (st.tokens = stored.get()),
  setTokens: (tk) => { st.tokens = tk; stored.set(tk); },
  onAuthLost: () => { st.tokens = null; localStorage.removeItem(TOKENS_KEY); renderAll(); },
});
const root = document.getElementById('root');
let map, layers, fitted = false, timer = null;

const kind = (f) => f.properties?.kind;
const tickets = () => st.features.filter((f) => kind(f) === 'ticket');
const engineers = () => st.features.filter((f) => kind(f) === 'engineer');
const engineerName = (id) => engineers().find((f) => f.properties.id === id)?.properties.name || (id ? id.slice(0, 8) : '—');
const OPEN = ['new', 'assigned', 'accepted', 'en_route', 'on_site', 'in_progress', 'on_hold'];

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
      h('button', { id: 'refresh', onclick: refresh }, t('refresh')),
      h('button', { id: 'optimize', onclick: optimizePreview }, t('optimize')),
      h('select', { onchange: (e) => { setLanguage(e.target.value); renderAll(); } },
        LANGS.map((l) => h('option', { value: l, selected: l === currentLanguage() }, l === 'en' ? 'EN' : '中文'))),
      h('button', { onclick: async () => { await api.logout(); st.tokens = null; localStorage.removeItem(TOKENS_KEY); renderAll(); } }, t('logout'))),
    h('div.layout', h('aside', { id: 'list' }), h('div', { id: 'map' }), h('aside.right', { id: 'panel' })),
  ];
}

function listView() {
  const f = st.filters;
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
      sel('status', [['open', 'open'], ['', t('all')], ...OPEN.concat(['completed', 'cancelled']).map((s) => [s, t(`s_${s}`)])]),
      sel('priority', [['', t('all')], ['P1', 'P1'], ['P2', 'P2'], ['P3', 'P3'], ['P4', 'P4']])),
    h('ul.tl', rows.map((x) => {
      const p = x.properties;
      return h(`li${st.selected === p.id ? '.sel' : ''}`, { dataset: { ticket: p.id }, onclick: () => select(p.id) },
        h('span', { class: `p ${p.priority}` }, p.priority), ' ', h('strong', p.number), ' ', p.title,
        h('div', h('span.muted', t(`s_${p.status}`)), ' · ',
          h('span', { class: `sla-${p.sla_state}` }, `${countdown(p.resolve_by)}`),
          p.assignee_id ? h('span.muted', ` · ${engineerName(p.assignee_id)}`) : null));
    })),
  ];
}

function candidateView(c, ticket, best) {
  const reason = h('input', { placeholder: t('reason'), class: 'override-reason' });
  const needsReason = !c.eligible || (best && c.engineer_id !== best);
  const msg = h('span.error');
  const terms = Object.entries(c.terms || {}).map(([k, v]) => `${k}: ${fmt(v.value)} (g ${fmt(v.grade)} × w ${fmt(v.weight)})`);
  return h(`div.cand${c.eligible ? '' : '.ineligible'}`, { dataset: { engineer: c.engineer_id } },
    h('div', h('strong', c.name || engineerName(c.engineer_id)), ' · ',
      c.eligible ? h('span.ok', `${t('eligible')} · ${t('score')} ${fmt(c.score)}`) : h('span.error', t('not_eligible'))),
    c.reasons?.length ? h('div.terms.reasons', c.reasons.join(', ')) : null,
    terms.length ? h('div.terms', terms.join(' · ')) : null,
    c.eta ? h('div.terms', `ETA ${new Date(c.eta).toLocaleTimeString()} · ${fmt(c.travel_min)} min`) : null,
    needsReason ? reason : null,
    h('button', { class: needsReason ? 'secondary assign' : 'assign', onclick: async () => {
      const body = { engineer_id: c.engineer_id };
      if (needsReason) {
        if (!reason.value.trim()) { msg.textContent = t('reason_required'); return; }
        body.reason = reason.value.trim();
      }
      try {
        await api.post(`/api/v1/dispatch/tickets/${ticket.id}/assign`, body);
        st.message = `${ticket.number} → ${c.name || engineerName(c.engineer_id)}`;
        await refresh();
        await loadCandidates();
      } catch (err) { msg.textContent = err.message; }
    } }, needsReason ? t('override') : ticket.assignee_id ? t('reassign') : t('assign')), ' ', msg);
}

const fmt = (v) => (typeof v === 'number' ? (Math.round(v * 100) / 100).toString() : v ?? '');

function panelView() {
  const tk = tickets().find((x) => x.properties.id === st.selected)?.properties;
  const parts = [st.message ? h('p.ok', { id: 'message' }, st.message) : null];
  if (!tk) parts.push(h('p.muted', t('select_ticket')));
  else {
    const cands = st.candidates || [];
    const best = cands.find((c) => c.eligible)?.engineer_id;
    parts.push(h('div', { id: 'ticket-panel', dataset: { ticket: tk.id, status: tk.status } },
      h('h2', h('span', { class: `p ${tk.priority}` }, tk.priority), ` ${tk.number} ${tk.title}`),
      h('div', `${t('status')}: `, h('strong', { id: 'panel-status' }, t(`s_${tk.status}`)),
        tk.assignee_id ? ` · ${t('assigned_to')} ${engineerName(tk.assignee_id)}` : ''),
      h('div', { class: `sla-${tk.sla_state}` }, `SLA ${tk.sla_state}: ${countdown(tk.resolve_by)}`),
      h('h2', t('candidates')),
      st.candidates === null ? h('p.muted', '…') : h('div', { id: 'candidates' }, cands.map((c) => candidateView(c, tk, best))),
    ));
  }
  if (st.plan) parts.push(planView());
  parts.push(h('h2', t('conflicts')), h('ul.tl', { id: 'conflicts' }, st.conflicts.length
    ? st.conflicts.map((c) => h('li', h('strong', c.kind || c.mutation_name || 'conflict'), ' ', c.ticket_number || c.ticket_id || '',
        h('div.muted', c.reason || c.message || ''),
        c.resolution ? h('div.ok', String(c.resolution)) : h('button.secondary', { onclick: () => resolveConflict(c) }, t('resolve'))))
    : h('li.muted', t('no_conflicts'))));
  return parts;
}

function planView() {
  const plan = st.plan;
  const s = plan.summary || {};
  return h('div', { id: 'plan' }, h('h2', t('plan')),
    h('div', `assigned ${s.assigned ?? '?'} · unassigned ${s.unassigned ?? '?'} · breaches ${s.breaches ?? '?'} · ${fmt(s.travel_km)} km`),
    h('ul.tl', (plan.routes || []).map((r) => h('li', h('strong', engineerName(r.engineer_id)), `: ${(r.tickets || []).length} · ${fmt(r.travel_km)} km`))),
    h('button', { id: 'apply-plan', onclick: applyPlan }, t('apply_plan')), ' ',
    h('button.secondary', { onclick: () => { st.plan = null; drawMap(); drawPanel(); } }, '×'));
}

async function optimizePreview() {
  try {
    const res = await api.post('/api/v1/dispatch/optimize', { apply: false });
    st.plan = res.plan || (await pollJob(res.job_id));
    st.message = '';
  } catch (err) { st.message = err.message; }
  drawMap();
  drawPanel();
}

async function pollJob(jobId) {
  for (let i = 0; jobId && i < 60; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const job = await api.get(`/api/v1/dispatch/optimize/jobs/${jobId}`);
    if (job.plan) return job.plan;
    if (job.status === 'failed') throw new Error(job.error || 'optimize failed');
  }
  return null;
}

async function applyPlan() {
  const ids = (st.plan.routes || []).flatMap((r) => (r.tickets || []).map((x) => x.ticket_id));
  try {
    const res = await api.post('/api/v1/dispatch/optimize', { apply: true, ticket_ids: ids });
    const plan = res.plan || (await pollJob(res.job_id));
    st.message = `${t('apply_plan')}: ${(plan?.applied || []).length}`;
    st.plan = null;
    await refresh();
  } catch (err) { st.message = err.message; drawPanel(); }
}

async function resolveConflict(c) {
  const resolution = prompt(t('resolve'), 'accepted');
  if (!resolution) return;
  try {
    await api.post(`/api/v1/sync/conflicts/${c.id}/resolve`, { resolution });
    await loadConflicts();
  } catch (err) { st.message = err.message; }
  drawPanel();
}

function drawMap() {
  if (!map) return;
  layers.clearLayers();
  for (const f of st.features.filter((x) => kind(x) === 'region')) {
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
    }).bindTooltip(`${p.number} ${p.title} (${p.status})`).on('click', () => select(p.id)).addTo(layers);
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

function drawList() { const el = document.getElementById('list'); if (el) mount(el, listView()); }
function drawPanel() { const el = document.getElementById('panel'); if (el) mount(el, panelView()); }

async function select(id) {
  st.selected = id;
  st.candidates = null;
  st.message = '';
  drawList(); drawPanel(); drawMap();
  await loadCandidates();
}

async function loadCandidates() {
  if (!st.selected) return;
  try {
    st.candidates = listOf(await api.get(`/api/v1/dispatch/tickets/${st.selected}/candidates`));
  } catch (err) { st.candidates = []; st.message = err.message; }
  drawPanel();
}

async function loadConflicts() {
  try { st.conflicts = listOf(await api.get('/api/v1/sync/conflicts?status=open')); } catch { st.conflicts = []; }
}

async function refresh() {
  clearTimeout(timer);
  try {
    const data = await api.get(`/api/v1/dispatch/map?bbox=${WORLD}`);
    st.features = data.features || [];
    await loadConflicts();
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) return;
    st.message = err.message;
  }
  drawList(); drawPanel(); drawMap();
  document.body.dataset.refreshedAt = String(Date.now());
  timer = setTimeout(refresh, REFRESH_MS);
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
  refresh();
}

loadConfig().then(renderAll);
