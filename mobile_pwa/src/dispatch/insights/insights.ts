// The console's Insights screen (issue #16): a period (7/30/90 days or custom) with region,
// engineer and priority filters; KPI tiles (kpis.ts) with the change against the previous
// period of the same length; charts (ECharts, charts.ts) each with an aria-label summary and a
// data table; and the drill-down: every tile, chart bar and table row opens the ticket list
// behind its number (GET /api/v1/tickets with the report's cohort and the number's filters).
// The whole screen is one lazily imported chunk: main.ts import()s it on #/insights only.
import './style.css';
import { HttpError, ok } from '../../lib/api.js';
import { h, mount, type Child } from '../../lib/dom.js';
import { currentLanguage } from '../../lib/i18n.js';
import { api } from '../state.js';
import { disposeCharts, drawChart, resizeCharts, type Series } from './charts.js';
import { asJob, bar, ended, EXPORT_REPORTS, type ExportState, exportQuery, FORMATS } from './exports.js';
import { type Answers, type BacklogGroup, drillQuery, OPEN, type UnassignedReason, type Filters, type Kpi, KPIS, reportQuery, type SlaGroup, sourcesOf } from './kpis.js';
import { bucketPeriod, customPeriod, delta, formatValue, isoDay, lastDays, type Period, type Preset, previousPeriod, spanDays, trendBucket } from './period.js';
import { w } from './words.js';

const STATUSES = [...OPEN, 'completed', 'closed', 'cancelled'];
const AGES = ['lt_4h', 'lt_1d', 'lt_3d', 'lt_7d', 'older'] as const;
const AGE_COLOURS = ['#1a7f37', '#0b5fad', '#9a6700', '#b35309', '#b3261e'];
const DRILL_PAGE = 50;
const MAX_PAGES = 20;

interface Named { id: string; name: string }
type Report = { groups: unknown[]; unassigned?: UnassignedReason[] };
const EXPORT_POLL_MS = 1000;
const EXPORT_POLLS = 1800;
type Ticket = { id: string; number?: string; title?: string; priority?: string; status?: string; assignee_id?: string | null; created_at?: string };

const s = {
  preset: '30' as Preset,
  customFrom: '',
  customTo: '',
  filters: { region_id: '', engineer_id: '', priority: '', status: '' } as Filters,
  groupBy: 'priority',
  regions: [] as Named[],
  engineers: [] as Named[],
  period: lastDays(30, new Date()),
  current: {} as Answers,
  previous: {} as Answers,
  trend: [] as SlaGroup[],
  breakdown: [] as SlaGroup[],
  unassigned: [] as UnassignedReason[],
  exp: { report: 'sla' as string, format: 'csv' as string, job: '', state: null as ExportState | null, error: '', busy: false },
  error: '',
  loading: false,
};

let root: HTMLElement | null = null;
const byId = (id: string): HTMLElement | null => document.getElementById(id);
const valueOf = (e: Event): string => (e.target as HTMLInputElement | HTMLSelectElement).value;
const lang = (): string => currentLanguage();

/** GET /api/v1/reports/<source> (a KPI added by another report needs no code here). */
async function report(source: string, query: Record<string, string>): Promise<Report> {
  return ok(api.client.GET(`/api/v1/reports/${source}` as '/api/v1/reports/sla', { params: { query: query as never } })) as Promise<Report>;
}

async function loadNames(): Promise<void> {
  if (s.regions.length || s.engineers.length) return;
  // Every page (up to MAX_PAGES of 100): a filter that lacks an engineer cannot be chosen.
  const all = async <T>(get: (page: number) => Promise<T[]>): Promise<T[]> => {
    const out: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page += 1) {
      const rows = await get(page);
      out.push(...rows);
      if (rows.length < 100) break;
    }
    return out;
  };
  try {
    const [regions, engineers] = await Promise.all([
      all((page) => ok(api.client.GET('/api/v1/regions', { params: { query: { page, page_size: 100 } } }))),
      all((page) => ok(api.client.GET('/api/v1/engineers', { params: { query: { page, page_size: 100 } } }))),
    ]);
    s.regions = regions.map((r) => ({ id: r.id ?? '', name: r.name ?? '' })).filter((r) => r.id);
    s.engineers = engineers.map((e) => ({ id: e.user_id ?? '', name: e.name ?? '' })).filter((e) => e.id)
      .sort((a, b) => a.name.localeCompare(b.name));
  } catch { /* the filters offer "All" only; the reports still load */ }
}

function chosenPeriod(): Period | null {
  if (s.preset === 'custom') return customPeriod(s.customFrom, s.customTo);
  return lastDays(Number(s.preset), new Date());
}

/** Fetch the tiles' reports for the period and the one before it, the trend and the
 * breakdown, all at once; then draw. */
async function load(): Promise<void> {
  const period = chosenPeriod();
  if (!period) { s.error = w('bad_period'); drawStatus(); return; }
  s.period = period;
  s.loading = true; s.error = ''; drawStatus();
  const prev = previousPeriod(period);
  const sources = sourcesOf(KPIS);
  try {
    const [cur, old, trend, breakdown] = await Promise.all([
      Promise.all(sources.map((src) => report(src, reportQuery(period.from, period.to, s.filters)))),
      Promise.all(sources.map((src) => report(src, reportQuery(prev.from, prev.to, s.filters)))),
      report('sla', reportQuery(period.from, period.to, s.filters, trendBucket(period))),
      report('sla', reportQuery(period.from, period.to, s.filters, s.groupBy)),
    ]);
    s.current = Object.fromEntries(sources.map((src, i) => [src, cur[i]?.groups ?? []]));
    s.unassigned = cur[sources.indexOf('backlog')]?.unassigned ?? [];
    s.previous = Object.fromEntries(sources.map((src, i) => [src, old[i]?.groups ?? []]));
    s.trend = trend.groups as SlaGroup[];
    s.breakdown = breakdown.groups as SlaGroup[];
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) return;
    s.error = w('failed', { message: err instanceof Error ? err.message : String(err) });
  } finally {
    s.loading = false;
  }
  drawStatus(); drawTiles(); drawCharts(); drawUnassigned();
}

function select(id: string, label: string, value: string, options: [string, string][], onchange: (v: string) => void): HTMLElement {
  return h('label', { for: id }, label, ' ',
    h('select', { id, onchange: (e: Event) => onchange(valueOf(e)) },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

function barView(): Child[] {
  const all: [string, string] = ['', w('all')];
  const custom = s.preset === 'custom';
  return [
    h('form.ins-bar', { id: 'ins-form', onsubmit: (e: Event) => { e.preventDefault(); void load(); } },
      select('ins-period', w('period'), s.preset, [['7', w('last_n', { n: 7 })], ['30', w('last_n', { n: 30 })],
        ['90', w('last_n', { n: 90 })], ['custom', w('custom')]], (v) => {
        s.preset = v as Preset;
        if (v === 'custom' && !s.customFrom) { s.customFrom = isoDay(s.period.from); s.customTo = isoDay(new Date(s.period.to.getTime() - 1)); }
        drawBar();
        if (v !== 'custom') void load();
      }),
      custom ? h('label', { for: 'ins-from' }, w('from'), ' ', h('input', { id: 'ins-from', type: 'date', value: s.customFrom, onchange: (e: Event) => { s.customFrom = valueOf(e); } })) : null,
      custom ? h('label', { for: 'ins-to' }, w('to'), ' ', h('input', { id: 'ins-to', type: 'date', value: s.customTo, onchange: (e: Event) => { s.customTo = valueOf(e); } })) : null,
      select('ins-region', w('region'), s.filters.region_id, [all, ...s.regions.map((r): [string, string] => [r.id, r.name])], (v) => { s.filters.region_id = v; void load(); }),
      select('ins-engineer', w('engineer'), s.filters.engineer_id, [all, ...s.engineers.map((e): [string, string] => [e.id, e.name])], (v) => { s.filters.engineer_id = v; void load(); }),
      select('ins-priority', w('priority'), s.filters.priority, [all, ...['P1', 'P2', 'P3', 'P4'].map((p): [string, string] => [p, p])], (v) => { s.filters.priority = v; void load(); }),
      select('ins-status-filter', w('status'), s.filters.status === OPEN.join(',') ? 'open' : s.filters.status ?? '', [all, ['open', w('open_only')], ...STATUSES.map((st): [string, string] => [st, w(`s_${st}`)])],
        (v) => { s.filters.status = v === 'open' ? OPEN.join(',') : v; void load(); }),
      select('ins-group', w('group_by'), s.groupBy, ['priority', 'region', 'engineer', 'status'].map((g): [string, string] => [g, w(`g_${g}`)]), (v) => { s.groupBy = v; void load(); }),
      h('button', { id: 'ins-apply', type: 'submit' }, w('apply'))),
  ];
}

function tileView(k: Kpi): HTMLElement {
  const value = k.value(s.current);
  const before = k.value(s.previous);
  const d = k.better === 'none' ? delta(value, before, k.kind, 'up') : delta(value, before, k.kind, k.better);
  const tone = k.better === 'none' ? 'flat' : d.tone;
  const label = w(`k_${k.id}`);
  const shown = formatValue(value, k.kind, lang());
  const parts = k.parts?.(s.current);
  const days = Math.round(spanDays(s.period));
  const change = d.text ? w('vs_previous', { n: days, delta: d.text }) : w('no_previous');
  return h('li', h('button.tile', {
    type: 'button', dataset: { kpi: k.id, value: value === null ? '' : String(value) },
    'aria-label': `${label}: ${shown}${parts ? `, ${w('parts', parts)}` : ''}. ${change}. ${w('open_list', { label })}`,
    onclick: () => void drill(label, k.drill),
  },
  h('span.tile-label', label),
  h('span.tile-value', shown),
  parts ? h('span.tile-parts', w('parts', parts)) : null,
  h(`span.tile-delta.${tone}`, change)));
}

function drawTiles(): void {
  const el = byId('ins-tiles');
  if (el) mount(el, [h('h3', { id: 'ins-kpis-title' }, w('kpis')), h('ul.ins-tiles', { 'aria-labelledby': 'ins-kpis-title' }, KPIS.map(tileView))]);
}

function drawStatus(): void {
  const el = byId('ins-status');
  if (!el) return;
  el.textContent = s.loading ? w('loading') : s.error;
  el.className = s.error ? 'error' : 'muted';
  byId('insights')?.setAttribute('aria-busy', s.loading ? 'true' : 'false');
}

const nameOf = (list: Named[], id: string | null | undefined, none: string): string =>
  id ? list.find((x) => x.id === id)?.name ?? id.slice(0, 8) : none;

function groupLabel(key: string | null): string {
  if (s.groupBy === 'region') return nameOf(s.regions, key, w('unrouted'));
  if (s.groupBy === 'engineer') return nameOf(s.engineers, key, w('unassigned'));
  if (s.groupBy === 'status') return key ? w(`s_${key}`) : w('none');
  return key ?? w('none');
}

const pct = (v: number | null | undefined): string => formatValue(v ?? null, 'pct', lang());

/** A chart's figure: title, the canvas (role img, its summary as the name) and a data table
 * whose first column's buttons drill down like a click on the bar. */
function figure(id: string, title: string, summary: string, head: string[], rows: { cells: (string | number)[]; drill: () => void }[]): HTMLElement {
  return h('figure.ins-figure', { id },
    h('figcaption', title),
    h('div.ins-chart', { role: 'img', 'aria-label': summary }),
    h('details', h('summary', w('table')),
      h('table', h('thead', h('tr', head.map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', rows.map((r) => h('tr', r.cells.map((c, i) => (i === 0
          ? h('th', { scope: 'row' }, h('button.link', { type: 'button', onclick: r.drill }, String(c)))
          : h('td', String(c))))))))));
}

function drawCharts(): void {
  const el = byId('ins-charts');
  if (!el) return;
  disposeCharts(el);
  const p = s.period;
  const bucket = trendBucket(p);
  const trendTitle = w('c_trend', { bucket: w(`b_${bucket}`) });
  const last = s.trend[s.trend.length - 1];
  const trendSummary = s.trend.length
    ? w('summary_trend', { title: trendTitle, n: s.trend.length, first: s.trend[0]?.key ?? '', last: last?.key ?? '', r: pct(last?.respond.met_pct), s: pct(last?.resolve.met_pct) })
    : w('summary_empty', { title: trendTitle });
  const trendDrill = (g: SlaGroup) => () => {
    const b = bucketPeriod(g.key ?? isoDay(p.from), bucket, p);
    void drill(g.key ?? '', {}, b);
  };

  const groupTitle = w('c_breakdown', { group: w(`g_${s.groupBy}`) });
  const top = [...s.breakdown].sort((a, b) => b.tickets - a.tickets)[0];
  const breakdownSummary = top
    ? w('summary_breakdown', { title: groupTitle, n: s.breakdown.length, top: groupLabel(top.key), count: top.tickets })
    : w('summary_empty', { title: groupTitle });
  const groupDrill = (g: SlaGroup) => () =>
    void drill(groupLabel(g.key), {}, undefined, { by: s.groupBy, key: g.key });

  const backlog = (s.current.backlog ?? []) as BacklogGroup[];
  const total = backlog.reduce((n, g) => n + g.total, 0);
  const backlogTitle = w('c_backlog');
  const backlogSummary = backlog.length
    ? w('summary_backlog', { title: backlogTitle, total, n: backlog.length })
    : w('summary_empty', { title: backlogTitle });

  mount(el, [
    h('h3', w('charts')),
    h('div.ins-charts',
      figure('ins-trend', trendTitle, trendSummary, [w(`b_${bucket}`), w('respond'), w('resolve'), w('tickets'), w('breached')],
        s.trend.map((g) => ({ cells: [g.key ?? '', pct(g.respond.met_pct), pct(g.resolve.met_pct), g.tickets, g.breached], drill: trendDrill(g) }))),
      figure('ins-breakdown', groupTitle, breakdownSummary, [w(`g_${s.groupBy}`), w('tickets'), w('breached')],
        s.breakdown.map((g) => ({ cells: [groupLabel(g.key), g.tickets, g.breached], drill: groupDrill(g) }))),
      figure('ins-backlog', backlogTitle, backlogSummary, [w('status'), ...AGES.map((a) => w(`a_${a}`)), w('total')],
        backlog.map((g) => ({ cells: [w(`s_${g.status}`), ...AGES.map((a) => g.ages[a]), g.total],
          drill: () => void drill(w(`s_${g.status}`), { status: g.status }) }))),
    ),
  ]);
  const chartIn = (id: string): HTMLElement | null => el.querySelector<HTMLElement>(`#${id} .ins-chart`);
  const trendEl = chartIn('ins-trend');
  if (trendEl) {
    drawChart(trendEl, s.trend.map((g) => g.key ?? ''), [
      { name: w('respond'), type: 'line', data: s.trend.map((g) => g.respond.met_pct), color: '#0b5fad' },
      { name: w('resolve'), type: 'line', data: s.trend.map((g) => g.resolve.met_pct), color: '#1a7f37' },
    ], (i) => { const g = s.trend[i]; if (g) trendDrill(g)(); }, 100);
  }
  const breakdownEl = chartIn('ins-breakdown');
  if (breakdownEl) {
    drawChart(breakdownEl, s.breakdown.map((g) => groupLabel(g.key)), [
      { name: w('tickets'), type: 'bar', data: s.breakdown.map((g) => g.tickets), color: '#0b5fad' },
      { name: w('breached'), type: 'bar', data: s.breakdown.map((g) => g.breached), color: '#b3261e' },
    ], (i) => { const g = s.breakdown[i]; if (g) groupDrill(g)(); });
  }
  const backlogEl = chartIn('ins-backlog');
  if (backlogEl) {
    const series: Series[] = AGES.map((a, i) => ({ name: w(`a_${a}`), type: 'bar', stack: 'age', data: backlog.map((g) => g.ages[a]), color: AGE_COLOURS[i] }));
    drawChart(backlogEl, backlog.map((g) => w(`s_${g.status}`)), series, (i) => {
      const g = backlog[i];
      if (g) void drill(w(`s_${g.status}`), { status: g.status });
    });
  }
}

/** Open the ticket list behind a number: the report's cohort and filters plus ``extra``. */
async function drill(label: string, extra: Record<string, string>, period: Period = s.period,
  group?: { by: string; key: string | null }): Promise<void> {
  const el = byId('ins-drill');
  if (!el) return;
  const query = { ...drillQuery(period.from, period.to, s.filters, extra, group), page_size: String(DRILL_PAGE) };
  el.dataset.query = new URLSearchParams(query).toString();
  mount(el, [h('p.muted', w('loading'))]);
  let rows: Ticket[] = [];
  let total = 0;
  try {
    const { data, error, response } = await api.client.GET('/api/v1/tickets', { params: { query: query as never } });
    if (!response.ok) throw new HttpError(response.status, error as never);
    rows = (data ?? []) as Ticket[];
    total = Number(JSON.parse(response.headers.get('X-Pagination') || '{}').total ?? rows.length);
  } catch (err) {
    mount(el, [h('p.error', err instanceof Error ? err.message : String(err))]);
    return;
  }
  const title = w('drill_title', { label, n: total });
  mount(el, [
    h('div.ins-drill-head', h('h3', { id: 'ins-drill-title', tabindex: '-1' }, title),
      h('button.secondary', { type: 'button', onclick: () => { mount(el, []); delete el.dataset.query; } }, w('close'))),
    rows.length ? h('ul.tl', { 'aria-labelledby': 'ins-drill-title', dataset: { total: String(total) } }, rows.map((t) =>
      h('li', { dataset: { ticket: t.id } },
        h('span', { class: `p ${t.priority}` }, t.priority ?? ''), ' ', h('strong', t.number ?? ''), ' ', t.title ?? '',
        h('div.muted', w(`s_${t.status}`), ' · ', t.created_at ? new Date(t.created_at).toLocaleString(lang()) : '',
          t.assignee_id ? ` · ${nameOf(s.engineers, t.assignee_id, '')}` : '')))) : h('p.muted', w('drill_empty')),
    total > rows.length ? h('p.muted', w('drill_more', { shown: rows.length, n: total })) : null,
  ]);
  byId('ins-drill-title')?.focus();
}

/** The backlog's unassigned tickets by reason (docs/kpis.md, "Unassigned and why"): a table of
 * reasons whose buttons list the tickets behind each (from the report's own answer). */
function drawUnassigned(): void {
  const el = byId('ins-unassigned');
  if (!el) return;
  const total = s.unassigned.reduce((n, u) => n + u.count, 0);
  mount(el, [h('section.ins-figure', { 'aria-labelledby': 'ins-unassigned-title' },
    h('h3', { id: 'ins-unassigned-title' }, w('unassigned_why')),
    total
      ? h('table', { id: 'ins-unassigned-table' },
        h('thead', h('tr', h('th', { scope: 'col' }, w('reason')), h('th', { scope: 'col' }, w('tickets')))),
        h('tbody', s.unassigned.map((u) => h('tr', { dataset: { reason: u.reason } },
          h('th', { scope: 'row' }, h('button.link', { type: 'button', onclick: () => showReason(u) }, w(`r_${u.reason}`))),
          h('td', String(u.count))))))
      : h('p.muted', w('unassigned_none')))]);
}

/** The tickets behind one reason, in the drill-down box (the answer lists them, oldest first). */
function showReason(u: UnassignedReason): void {
  const el = byId('ins-drill');
  if (!el) return;
  const label = w(`r_${u.reason}`);
  mount(el, [
    h('div.ins-drill-head', h('h3', { id: 'ins-drill-title', tabindex: '-1' }, w('drill_title', { label, n: u.count })),
      h('button.secondary', { type: 'button', onclick: () => mount(el, []) }, w('close'))),
    h('p.muted', w(`rd_${u.reason}`)),
    h('ul.tl', { 'aria-labelledby': 'ins-drill-title', dataset: { reason: u.reason } }, u.tickets.map((t) =>
      h('li', { dataset: { ticket: t.id } },
        h('span', { class: `p ${t.priority}` }, t.priority), ' ', h('strong', t.number), ' ',
        h('span.muted', w(`s_${t.status}`), ' · ', new Date(t.created_at).toLocaleString(lang()))))),
    u.count > u.tickets.length ? h('p.muted', w('drill_more', { shown: u.tickets.length, n: u.count })) : null,
  ]);
  byId('ins-drill-title')?.focus();
}

/** The export box: a report and a format; a long period runs as a job with a progress bar
 * (role progressbar, its value the share of rows written, indeterminate while computing), then
 * a download link; a short one downloads at once. */
function exportView(): Child[] {
  const st = s.exp.state;
  const b = bar(st?.progress);
  const rows = b.total === null ? w('export_computing') : w('export_rows', { done: b.done, total: b.total });
  return [h('form.ins-bar', { id: 'ins-export-form', onsubmit: (e: Event) => { e.preventDefault(); void startExport(); } },
    select('ins-export-report', w('export_report'), s.exp.report, EXPORT_REPORTS.map((r): [string, string] => [r, w(`x_${r}`)]), (v) => { s.exp.report = v; }),
    select('ins-export-format', w('export_format'), s.exp.format, FORMATS.map((f): [string, string] => [f, f.toUpperCase()]), (v) => { s.exp.format = v; }),
    h('button', { id: 'ins-export', type: 'submit', disabled: s.exp.busy }, w('export'))),
  s.exp.job && st && !ended(st)
    ? h('div', { id: 'ins-export-job', dataset: { job: s.exp.job } },
      h('div.ins-progress', { id: 'ins-export-progress', role: 'progressbar', 'aria-label': w('export_progress'),
        'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': b.now === null ? null : String(b.now), 'aria-valuetext': rows },
      h('div.ins-progress-fill', { style: { width: `${b.now ?? 0}%` } })),
      h('span.muted', { id: 'ins-export-rows' }, rows))
    : null,
  st?.status === 'finished' && st.download_url
    ? h('p', h('a', { id: 'ins-export-download', href: st.download_url, download: st.filename ?? '' }, w('export_download', { name: st.filename ?? '' })))
    : null,
  h('p', { id: 'ins-export-status', role: 'status', class: s.exp.error ? 'error' : 'muted' }, s.exp.error || (s.exp.busy ? w('export_running') : '')),
  ];
}

function drawExport(): void {
  const el = byId('ins-export-box');
  if (el) mount(el, exportView());
}

const exportMessage = (err: unknown): string => w('export_failed', { message: err instanceof Error ? err.message : String(err) });

/** Start the chosen export with the screen's period and filters. */
async function startExport(): Promise<void> {
  const query = exportQuery(reportQuery(s.period.from, s.period.to, s.filters), s.exp.format);
  s.exp = { ...s.exp, job: '', state: null, error: '', busy: true };
  drawExport();
  try {
    if (asJob(spanDays(s.period))) {
      try {
        await exportJob(query);
        return;
      } catch (err) {
        // Without a queue (no Redis) the server says so: download in the request instead.
        if (!(err instanceof HttpError && err.body?.kind === 'no_queue')) throw err;
      }
    }
    await downloadNow(query);
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) return;
    s.exp.error = exportMessage(err);
  } finally {
    s.exp.busy = false;
    drawExport();
    // The export button was disabled while it ran (the focus fell to the page): the link
    // has it.
    if (s.exp.state?.status === 'finished') byId('ins-export-download')?.focus();
  }
}

async function exportJob(query: Record<string, string>): Promise<void> {
  const path = `/api/v1/reports/${s.exp.report}/export/jobs` as '/api/v1/reports/sla/export/jobs';
  const started = await ok(api.client.POST(path, { params: { query: query as never } }));
  s.exp.job = started.job_id;
  s.exp.state = { job_id: started.job_id, status: 'queued', progress: null, filename: null, download_url: null, error: null };
  drawExport();
  for (let i = 0; i < EXPORT_POLLS; i++) {
    await new Promise((r) => setTimeout(r, EXPORT_POLL_MS));
    const state = await ok(api.client.GET('/api/v1/exports/{job_id}', { params: { path: { job_id: started.job_id } } }));
    s.exp.state = state;
    if (ended(state)) {
      if (state.status !== 'finished') throw new Error(state.error || state.status);
      return; // startExport draws the link and gives it the focus
    }
    drawExport();
  }
  throw new Error(w('export_timeout'));
}

/** A short period: the file in the request (with the session's token), saved from a blob. */
async function downloadNow(query: Record<string, string>): Promise<void> {
  const path = `/api/v1/reports/${s.exp.report}/export` as '/api/v1/reports/sla/export';
  const { data, response } = await api.client.GET(path, { params: { query: query as never }, parseAs: 'blob' });
  if (!response.ok) throw new HttpError(response.status, null, response.headers);
  const name = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '')?.[1] ?? `${s.exp.report}.${s.exp.format}`;
  const url = URL.createObjectURL(data as unknown as Blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function drawBar(): void {
  const el = byId('ins-bar');
  if (el) mount(el, barView());
}

const onResize = (): void => { if (root) resizeCharts(root); };

/** Draw the screen into ``el`` and load the period's numbers. */
export async function showInsights(el: HTMLElement): Promise<void> {
  root = el;
  mount(el, [h('section', { id: 'insights', 'aria-labelledby': 'insights-title' },
    h('h2.ins-title', { id: 'insights-title' }, w('title')),
    h('div', { id: 'ins-bar' }),
    h('p', { id: 'ins-status', role: 'status' }),
    h('section', { id: 'ins-export-box', 'aria-label': w('export') }),
    h('div', { id: 'ins-tiles' }),
    h('section', { id: 'ins-drill', 'aria-live': 'polite' }),
    h('div', { id: 'ins-charts' }),
    h('div', { id: 'ins-unassigned' }))]);
  drawBar();
  drawExport();
  window.removeEventListener('resize', onResize);
  window.addEventListener('resize', onResize);
  await loadNames();
  drawBar();
  await load();
}

/** Free the charts when the console leaves the screen. */
export function hideInsights(): void {
  if (root) disposeCharts(root);
  window.removeEventListener('resize', onResize);
  root = null;
}
