// The batch plan: preview (every change per ticket, every ticket left out with its reason),
// pins a dispatcher may lift, and apply - which sends the preview back so the server carries
// out exactly it, or answers 409 naming what changed since (docs/dispatch.md).
import { HttpError, ok, type components } from '../lib/api.js';
import { h, type Child } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { duration, when } from './sla.js';
import { api, engineerName, say, st, ticketById, ui, type Change, type Plan, type Unassigned } from './state.js';
import { phaseWords, reasonWords, runningWords, shareWords, type Running } from './words.js';

type OptimizeIn = components['schemas']['OptimizeIn'];
type Summary = components['schemas']['SummaryOut'];
interface Changed { kind: string; id: string; label: string; change: string }

const LIFTABLE = ['manual', 'override', 'flag'];

function scope(): OptimizeIn {
  return { apply: false, async: null, region_id: null, preview: null, unpin: [...st.unpin], date: st.planDay || null };
}

const isPlan = (p: unknown): p is Plan => !!p && typeof p === 'object' && Object.keys(p).length > 0;
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The keyboard focus follows the plan: started from "Optimize" (disabled while it plans, so
 * the focus would fall to the page, hundreds of Tab presses away from the plan box), the focus
 * goes to "Cancel the plan" when it appears. */
function focusFrom(from: string, to: string): void {
  const active = document.activeElement;
  if (!active || active === document.body || active.id === from) document.getElementById(to)?.focus();
}

/** Wait for a queued plan, showing its phase and share of the time (docs/dispatch.md). */
async function pollJob(jobId: string): Promise<Plan> {
  st.planJob = jobId;
  ui.drawPanel();
  focusFrom('optimize', 'cancel-plan');
  try {
    for (let i = 0; i < 180; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const job = await ok(api.client.GET('/api/v1/dispatch/optimize/{job_id}', { params: { path: { job_id: jobId } } }));
      if (isPlan(job.plan)) return job.plan;
      if (job.status === 'failed') throw new Error(job.error || 'optimize failed');
      if (job.status === 'canceled' || job.status === 'stopped') throw new Error(t('plan_cancelled'));
      st.planProgress = job.progress || null;
      ui.drawPanel();
    }
    throw new Error(t('plan_timeout'));
  } finally {
    st.planJob = '';
    st.planProgress = null;
  }
}

/** Cancel a queued plan: ours being waited for (the wait then ends with "Plan cancelled"), or
 * the one that refused ours (then the scope is free: preview again). */
async function cancelPlan(jobId: string = st.planJob): Promise<void> {
  if (!jobId) return;
  try {
    await ok(api.client.DELETE('/api/v1/dispatch/optimize/{job_id}', { params: { path: { job_id: jobId } } }));
    if (jobId === st.planRunning) { st.planRunning = ''; st.planError = t('plan_cancelled'); ui.drawPanel(); }
  } catch (err) { st.planError = message(err); ui.drawPanel(); }
}

/** An error of a preview in words: a plan of the same scope already running is named (whose,
 * since when, how far) in the console's language; anything else as the server said it. */
function previewError(err: unknown): string {
  const body = err instanceof HttpError ? err.body : null;
  if (body?.kind !== 'plan_running') return message(err);
  st.planRunning = String(body.job_id || '');
  return runningWords(body as Running);
}

function busy(kind: typeof st.planBusy): void {
  st.planBusy = kind;
  ui.drawPanel();
  const btn = document.getElementById('optimize') as HTMLButtonElement | null;
  if (btn) { btn.disabled = !!kind; btn.setAttribute('aria-busy', kind === 'preview' ? 'true' : 'false'); }
}

export async function preview(): Promise<void> {
  if (st.planBusy) return;
  st.planError = '';
  st.planRunning = '';
  busy('preview');
  try {
    const res = await ok(api.client.POST('/api/v1/dispatch/optimize', { body: scope() }));
    st.plan = isPlan(res.plan) ? res.plan : res.job_id ? await pollJob(res.job_id) : null;
    // Only pins the server lifted stay lifted (a ticket may have left the plan).
    st.unpin = new Set(st.plan?.unpin || []);
    say('');
  } catch (err) { st.planError = previewError(err); }
  busy(null);
  focusFrom('cancel-plan', 'optimize'); // the cancel button is gone: back where the plan began
  ui.drawMap();
}

export async function apply(): Promise<void> {
  const plan = st.plan;
  if (!plan || st.planBusy || !plan.fingerprint) return;
  st.planError = '';
  busy('apply');
  try {
    const changes = (plan.changes || []).map((c) => ({ ticket_id: c.ticket_id ?? '', to_engineer_id: c.to_engineer_id ?? '', eta: c.eta ?? '' }));
    const res = await ok(api.client.POST('/api/v1/dispatch/optimize', {
      body: { ...scope(), apply: true, preview: { fingerprint: plan.fingerprint, inputs: plan.inputs || {}, changes } },
    }));
    const s: Summary = (isPlan(res.plan) && res.plan.summary) || {};
    const moves = String(s.moves ?? 0), unchanged = String(s.unchanged ?? 0);
    say(t('plan_applied', { moves, unchanged }), { cls: 'applied', data: { moves, unchanged } });
    st.plan = null;
    st.unpin = new Set();
    busy(null);
    await ui.refresh();
    return;
  } catch (err) {
    const changed = err instanceof HttpError ? (err.body?.changed as Changed[] | undefined) : undefined;
    st.planError = changed?.length
      ? `${t('plan_changed')}: ${changed.map((c) => `${c.label} (${t(`ch_${c.change}`)})`).join(', ')}. ${t('preview_again')}.`
      : message(err);
  }
  busy(null);
}

function toggleUnpin(id: string, on: boolean): void {
  if (on) st.unpin.add(id); else st.unpin.delete(id);
  void preview();
}

function slaText(c: Change): HTMLElement {
  const late = (c.breach_min ?? 0) > 0;
  return h(`span.${late ? 'error' : 'ok'}`, late ? t('sla_late_by', { d: duration(c.breach_min ?? 0) }) : t('sla_on_time'));
}

function pinView(c: Change): HTMLElement | null {
  const id = c.ticket_id ?? '';
  const box = (checked: boolean): HTMLElement => h('label.unpin-label',
    h('input.unpin', { type: 'checkbox', checked, onchange: (e: Event) => toggleUnpin(id, (e.target as HTMLInputElement).checked) }),
    ` ${checked ? t('unpinned') : t('unpin')}`);
  if (c.unpinned) return h('div.pin', box(true));
  if (!c.pin) return null;
  return h('div.pin', `${t('pinned')}: ${t(`pin_${c.pin}`)}`, LIFTABLE.includes(c.pin) ? [' · ', box(false)] : null);
}

/** One planned ticket: from -> to, ETA, travel, SLA effect, and its pin. */
function changeItem(c: Change): HTMLElement {
  const tk = ticketById(c.ticket_id);
  const from = c.from_engineer_id ? engineerName(c.from_engineer_id) : t('nobody');
  const to = engineerName(c.to_engineer_id);
  const move = c.action === 'keep' ? `${to} (${t('stays')})` : `${from} → ${to}`;
  return h(`li.change.${c.action}`, { dataset: { ticket: c.ticket_id, action: c.action, eta: c.eta, finish: c.finish, to: c.to_engineer_id } },
    h('div', h('strong', c.number ?? ''), tk ? ` ${tk.title}` : '', ' · ', h('span.move', move)),
    h('div.muted', `${t('eta')} ${c.eta ? when(c.eta) : '—'} · ${t('w_drive', { d: duration(c.travel_min ?? 0) })} · ${c.travel_km ?? 0} ${t('km')} · `, slaText(c)),
    pinView(c));
}

function unassignedItem(u: Unassigned): HTMLElement {
  return h('li', { dataset: { ticket: u.ticket_id, reason: u.reason } },
    h('strong', u.number ?? ''), ` ${reasonWords(u.reason ?? '')}`,
    u.assignee_id ? h('span.muted', ` · ${t('keeps', { name: engineerName(u.assignee_id) })}`) : null);
}

function summaryView(s: Summary): HTMLElement {
  const item = (key: 'moves' | 'unchanged' | 'pinned' | 'unassigned' | 'breaches', label: string): HTMLElement =>
    h('span', { dataset: { count: key, value: String(s[key] ?? 0) } }, `${s[key] ?? 0} ${label}`);
  return h('div', { id: 'plan-summary' },
    item('moves', t('n_moves')), ' · ', item('unchanged', t('n_unchanged')), ' · ', item('pinned', t('n_pinned')), ' · ',
    item('unassigned', t('n_unassigned')), ' · ', item('breaches', t('n_late')), ` · ${Math.round((s.travel_km ?? 0) * 10) / 10} ${t('km')}`);
}

function close(): void {
  st.plan = null; st.planError = ''; st.unpin = new Set();
  ui.drawMap(); ui.drawPanel();
}

/** While planning: "Planning…", or for a queued plan its progress bar (a progressbar whose
 * value is the share of the budget), its phase and facts in a live region (announced when the
 * phase moves on; the box is patched in place, so it stays the same element and the cancel
 * button keeps the focus) and a cancel button. */
function waiting(): Child {
  const phase = h('p', { id: 'plan-phase', role: 'status' }, st.planJob ? phaseWords(st.planProgress || {}) : t('planning'));
  if (!st.planJob) return h('div', { id: 'plan-waiting' }, phase);
  const p = st.planProgress || {};
  const share = shareWords(p);
  return h('div', { id: 'plan-waiting', dataset: { job: st.planJob } },
    h('p', h('progress', { id: 'plan-progress', max: 100, value: Math.round(p.percent ?? 0), 'aria-label': t('plan_progress_label'),
      'aria-valuetext': share }), ' ', h('span.muted', { id: 'plan-share' }, share)),
    phase,
    h('p', h('button.secondary', { id: 'cancel-plan', onclick: () => cancelPlan() }, t('cancel_plan'))));
}

/** The plan box: nothing, a busy placeholder, or the preview with its apply button. */
export function planView(): Child[] {
  const plan = st.plan;
  if (!plan && !st.planBusy && !st.planError) return [];
  const busyNow = !!st.planBusy;
  const attrs: Record<string, unknown> = { id: 'plan', 'aria-busy': busyNow ? 'true' : 'false' };
  const running = st.planRunning;
  const error = st.planError
    ? h('p.error', { id: 'plan-error', role: 'alert', dataset: running ? { job: running } : {} }, st.planError, ' ',
      running ? [h('button.secondary', { id: 'cancel-running', onclick: () => cancelPlan(running), disabled: busyNow }, t('cancel_running')), ' '] : null,
      h('button.secondary', { id: 'replan', onclick: preview, disabled: busyNow }, t('preview_again')))
    : null;
  if (!plan) return [h('div', attrs, h('h2', t('plan')), busyNow ? waiting() : null, error)];
  if (plan.fingerprint) attrs['data-fingerprint'] = plan.fingerprint;
  attrs['data-day'] = plan.day || '';
  const changes = plan.changes || [];
  const unassigned = plan.unassigned || [];
  const label = st.planBusy === 'apply' ? t('applying') : st.planBusy === 'preview' ? t('planning') : t('apply_plan');
  return [h('div', attrs,
    h('h2', plan.day ? t('plan_for', { day: plan.day }) : t('plan_now')),
    summaryView(plan.summary || {}),
    changes.length ? h('ul.tl.changes', changes.map(changeItem)) : h('p.muted', t('plan_empty')),
    unassigned.length ? [h('h3', `${t('not_planned')} (${unassigned.length})`), h('ul.tl', { id: 'plan-unassigned' }, unassigned.map(unassignedItem))] : null,
    error,
    h('p',
      h('button', { id: 'apply-plan', onclick: apply, disabled: busyNow || !plan.fingerprint }, label), ' ',
      h('button.secondary', { id: 'close-plan', disabled: busyNow, onclick: close }, '×')))];
}
