// Console: the Imports screen (``#/imports``, admins and dispatchers; docs/imports.md). Pick
// what the file holds (its columns come from GET /api/v1/imports/entities), upload it: the dry
// run answers every problem by row and column, shown as a table; a clean file is applied as a
// job whose progress bar follows GET /api/v1/imports/{id} (the same bar as the report export
// jobs), then what it changed. Below, the records as CSV or XLSX; tickets over a long period
// (or all of them) are written by an export job followed with the same bar, then a download
// link. The console checks nothing itself: every verdict is the server's.
import { HttpError, ok, type components } from '../lib/api.js';
import { h, mount, type Child } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { bar, ended, JOB_MIN_DAYS, type ExportState } from './insights/exports.js';
import { EXPORTABLE, exportAsJob, resultWords, settled } from './import-words.js';
import { api } from './state.js';

type Schemas = components['schemas'];
type ImportState = Schemas['ImportOut'];
type Entity = Schemas['EntityOut'];

const POLL_MS = 500;
const POLLS = 7200; // an hour at most

const im = {
  entities: [] as Entity[],
  entity: 'customers',
  current: null as ImportState | null,
  busy: false,
  error: '',
  from: '', // tickets export period (ISO days; empty: all)
  to: '',
  job: null as ExportState | null, // the running or finished export job
  exporting: false,
};
let root: HTMLElement | null = null;
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function showImports(el: HTMLElement): Promise<void> {
  root = el;
  try {
    if (!im.entities.length) im.entities = await ok(api.client.GET('/api/v1/imports/entities'));
    im.error = '';
  } catch (err) { im.error = message(err); }
  draw();
}

function draw(): void {
  if (root) mount(root, view());
}

async function upload(file: File): Promise<void> {
  const form = new FormData();
  form.append('entity', im.entity);
  form.append('file', file, file.name);
  im.busy = true; im.current = null; im.error = '';
  draw();
  try {
    im.current = await ok(api.client.POST('/api/v1/imports', {
      body: form as never, // multipart: openapi-fetch sends FormData as it is
    }));
  } catch (err) { im.error = message(err); }
  im.busy = false;
  draw();
}

async function apply(id: string): Promise<void> {
  im.busy = true; im.error = '';
  try {
    im.current = await ok(api.client.POST('/api/v1/imports/{import_id}/apply', { params: { path: { import_id: id } } }));
    draw();
    for (let i = 0; i < POLLS && im.current && !settled(im.current); i++) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      im.current = await ok(api.client.GET('/api/v1/imports/{import_id}', { params: { path: { import_id: id } } }));
      draw();
    }
  } catch (err) { im.error = message(err); }
  im.busy = false;
  draw();
}

function exportQuery(entity: string, format: 'csv' | 'xlsx'): { format: 'csv' | 'xlsx'; from?: string; to?: string } {
  if (entity !== 'tickets') return { format };
  return { format, ...(im.from ? { from: im.from } : {}), ...(im.to ? { to: im.to } : {}) };
}

async function startExport(entity: string, format: 'csv' | 'xlsx'): Promise<void> {
  im.error = ''; im.job = null;
  if (!exportAsJob(entity, im.from, im.to, JOB_MIN_DAYS)) return download(entity, format);
  im.exporting = true;
  draw();
  try {
    const started = await ok(api.client.POST('/api/v1/data/{entity}/export/jobs', {
      params: { path: { entity: entity as never }, query: exportQuery(entity, format) },
    }));
    im.job = { job_id: started.job_id, status: 'queued', progress: null, filename: null, download_url: null, error: null };
    draw();
    for (let i = 0; i < POLLS && im.job && !ended(im.job); i++) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      im.job = await ok(api.client.GET('/api/v1/exports/{job_id}', { params: { path: { job_id: started.job_id } } }));
      draw();
    }
    if (im.job && im.job.status !== 'finished') im.error = t('im_x_failed', { message: im.job.error || im.job.status });
  } catch (err) {
    // Without a queue (no Redis) the server says so: download in the request instead.
    if (err instanceof HttpError && err.body?.kind === 'no_queue') await download(entity, format);
    else im.error = message(err);
  }
  im.exporting = false;
  draw();
  if (im.job?.status === 'finished') document.getElementById('im-x-download')?.focus();
}

async function download(entity: string, format: 'csv' | 'xlsx'): Promise<void> {
  try {
    const blob = await ok(api.client.GET('/api/v1/data/{entity}/export', {
      params: { path: { entity: entity as never }, query: exportQuery(entity, format) },
      parseAs: 'blob',
    })) as unknown as Blob;
    const a = h('a', { href: URL.createObjectURL(blob), download: `${entity}.${format}` });
    a.click();
    URL.revokeObjectURL(a.href);
  } catch (err) { im.error = message(err); draw(); }
}

function uploadForm(): HTMLElement {
  const chosen = im.entities.find((e) => e.name === im.entity);
  const file = h('input', { id: 'im-file', type: 'file', accept: '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', required: true });
  return h('form.im-form', { id: 'im-form', onsubmit: (e: Event) => {
    e.preventDefault();
    const f = file.files?.[0];
    if (f) void upload(f);
  } },
  h('label', { for: 'im-entity' }, t('im_entity')), ' ',
  h('select', { id: 'im-entity', onchange: (e: Event) => { im.entity = (e.target as HTMLSelectElement).value; im.current = null; draw(); } },
    im.entities.map((e) => h('option', { value: e.name, selected: e.name === im.entity }, e.title))), ' ',
  h('label', { for: 'im-file' }, t('im_file')), ' ', file, ' ',
  h('button', { id: 'im-check', type: 'submit', disabled: im.busy }, t('im_check')),
  chosen ? h('p.muted', { id: 'im-columns' }, t('im_columns'), ' ',
    chosen.columns.map((c, i) => [i ? ', ' : '', c.required ? h('strong', { title: c.description }, c.name) : h('span', { title: c.description }, c.name)])) : null);
}

function errorsTable(s: ImportState): Child {
  if (!s.errors.length) return null;
  return h('table.im-errors', { id: 'im-errors' },
    h('thead', h('tr', h('th', t('im_row')), h('th', t('im_column')), h('th', t('im_problem')))),
    h('tbody', s.errors.map((e) => h('tr', h('td.num', String(e.row)), h('td', e.column ?? '—'), h('td', e.message)))));
}

function progressView(s: ImportState): Child {
  if (s.status !== 'applying') return null;
  const b = bar(s.progress);
  const rows = b.total === null ? t('im_starting') : t('im_rows', { done: b.done, total: b.total });
  return h('div', { id: 'im-job' },
    h('div.im-progress', { id: 'im-progress', role: 'progressbar', 'aria-label': t('im_progress'),
      'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': b.now === null ? null : String(b.now), 'aria-valuetext': rows },
    h('div.im-progress-fill', { style: { width: `${b.now ?? 0}%` } })),
    h('span.muted', { id: 'im-rows' }, rows));
}

function currentView(): Child {
  const s = im.current;
  if (!s) return null;
  const verdict = s.status === 'invalid'
    ? t('im_invalid', { n: s.error_count, rows: s.rows_total })
    : s.status === 'ready' ? t('im_ready', { rows: s.rows_total })
      : s.status === 'applied' ? resultWords(s)
        : s.status === 'failed' ? t('im_failed', { message: s.failure ?? '' }) : t('im_applying');
  return h('section', { id: 'im-current', dataset: { status: s.status } },
    h('h3', s.filename),
    h('p', { id: 'im-verdict', role: 'status', class: s.status === 'invalid' || s.status === 'failed' ? 'error' : '' }, verdict),
    s.status === 'ready' || s.status === 'failed'
      ? h('p', h('button', { id: 'im-apply', type: 'button', disabled: im.busy, onclick: () => apply(s.id) }, t('im_apply')))
      : null,
    progressView(s),
    errorsTable(s),
    s.error_count > s.errors.length ? h('p.muted', t('im_more', { n: s.error_count - s.errors.length })) : null);
}

function period(): Child {
  const day = (id: string, label: string, value: string, set: (v: string) => void): Child[] => [
    h('label', { for: id }, label), ' ',
    h('input', { id, type: 'date', value, onchange: (e: Event) => set((e.target as HTMLInputElement).value) }), ' ',
  ];
  return h('td', day('im-x-from', t('im_from'), im.from, (v) => { im.from = v; }),
    day('im-x-to', t('im_to'), im.to, (v) => { im.to = v; }));
}

function exportJobView(): Child {
  const job = im.job;
  if (!job) return null;
  if (job.status === 'finished' && job.download_url) {
    return h('p', h('a', { id: 'im-x-download', href: job.download_url, download: job.filename ?? '' },
      t('im_x_download', { name: job.filename ?? '' })));
  }
  if (ended(job)) return null;
  const b = bar(job.progress);
  const rows = b.total === null ? t('im_x_running') : t('im_rows', { done: b.done, total: b.total });
  return h('div', { id: 'im-x-job' },
    h('div.im-progress', { id: 'im-x-progress', role: 'progressbar', 'aria-label': t('im_progress'),
      'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': b.now === null ? null : String(b.now), 'aria-valuetext': rows },
    h('div.im-progress-fill', { style: { width: `${b.now ?? 0}%` } })),
    h('span.muted', { id: 'im-x-rows' }, rows));
}

function exportView(): HTMLElement {
  const button = (e: string, f: 'csv' | 'xlsx'): Child => h('button.secondary', {
    type: 'button', id: `im-export-${e}-${f}`, disabled: im.exporting, onclick: () => startExport(e, f),
  }, f.toUpperCase());
  return h('section', { id: 'im-export' }, h('h3', t('im_export')),
    h('table', h('tbody', EXPORTABLE.map((e) => h('tr', h('td', t(`im_x_${e}`)),
      h('td', button(e, 'csv'), ' ', button(e, 'xlsx')), e === 'tickets' ? period() : null)))),
    exportJobView());
}

function view(): Child[] {
  return [
    h('h2', t('im_title')),
    uploadForm(),
    im.error ? h('p.error', { id: 'im-error', role: 'alert' }, im.error) : null,
    currentView(),
    exportView(),
  ];
}
