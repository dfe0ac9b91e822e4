// The batch plan: preview (every change per ticket, every ticket left out with its reason),
// pins a dispatcher may lift, and apply - which sends the preview back so the server carries
// out exactly it, or answers 409 naming what changed since (docs/dispatch.md).
import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { api, engineerName, say, st, ticketById, ui } from './state.js';
import { duration, when } from './sla.js';
import { reasonWords } from './words.js';

const URL = '/api/v1/dispatch/optimize';
const LIFTABLE = ['manual', 'override', 'flag'];

function scope() {
  const body = { unpin: [...st.unpin] };
  if (st.planDay) body.date = st.planDay;
  return body;
}

async function pollJob(jobId) {
  for (let i = 0; jobId && i < 120; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const job = await api.get(`${URL}/${jobId}`);
    if (job.plan) return job.plan;
    if (job.status === 'failed') throw new Error(job.error || 'optimize failed');
  }
  throw new Error(t('plan_timeout'));
}

function busy(kind) {
  st.planBusy = kind;
  ui.drawPanel();
  const btn = document.getElementById('optimize');
  if (btn) { btn.disabled = !!kind; btn.setAttribute('aria-busy', kind === 'preview' ? 'true' : 'false'); }
}

export async function preview() {
  if (st.planBusy) return;
  st.planError = '';
  busy('preview');
  try {
    const res = await api.post(URL, scope());
    st.plan = res.plan || (await pollJob(res.job_id));
    // Only pins the server lifted stay lifted (a ticket may have left the plan).
    st.unpin = new Set(st.plan.unpin || []);
    say('');
  } catch (err) { st.planError = err.message; }
  busy(null);
  ui.drawMap();
}

export async function apply() {
  const plan = st.plan;
  if (!plan || st.planBusy) return;
  st.planError = '';
  busy('apply');
  try {
    const res = await api.post(URL, {
      ...scope(), apply: true,
      preview: { fingerprint: plan.fingerprint, inputs: plan.inputs, changes: plan.changes },
    });
    const s = res.plan.summary;
    say(t('plan_applied', { moves: s.moves, unchanged: s.unchanged }),
      { cls: 'applied', data: { moves: String(s.moves), unchanged: String(s.unchanged) } });
    st.plan = null;
    st.unpin = new Set();
    busy(null);
    await ui.refresh();
    return;
  } catch (err) {
    const changed = err.body?.changed;
    st.planError = changed?.length
      ? `${t('plan_changed')}: ${changed.map((c) => `${c.label} (${t(`ch_${c.change}`)})`).join(', ')}. ${t('preview_again')}.`
      : err.message;
  }
  busy(null);
}

function toggleUnpin(id, on) {
  if (on) st.unpin.add(id); else st.unpin.delete(id);
  preview();
}

function slaText(c) {
  const late = c.breach_min > 0;
  return h(`span.${late ? 'error' : 'ok'}`, late ? t('sla_late_by', { d: duration(c.breach_min) }) : t('sla_on_time'));
}

function pinView(c) {
  const box = (checked) => h('label.unpin-label',
    h('input.unpin', { type: 'checkbox', checked, onchange: (e) => toggleUnpin(c.ticket_id, e.target.checked) }),
    ` ${checked ? t('unpinned') : t('unpin')}`);
  if (c.unpinned) return h('div.pin', box(true));
  if (!c.pin) return null;
  return h('div.pin', `${t('pinned')}: ${t(`pin_${c.pin}`)}`, LIFTABLE.includes(c.pin) ? [' · ', box(false)] : null);
}

/** One planned ticket: from -> to, ETA, travel, SLA effect, and its pin. */
function changeItem(c) {
  const tk = ticketById(c.ticket_id);
  const from = c.from_engineer_id ? engineerName(c.from_engineer_id) : t('nobody');
  const move = c.action === 'keep' ? `${engineerName(c.to_engineer_id)} (${t('stays')})` : `${from} → ${engineerName(c.to_engineer_id)}`;
  return h(`li.change.${c.action}`, { dataset: { ticket: c.ticket_id, action: c.action, eta: c.eta } },
    h('div', h('strong', c.number), tk ? ` ${tk.title}` : '', ' · ', h('span.move', move)),
    h('div.muted', `${t('eta')} ${when(c.eta)} · ${t('w_drive', { d: duration(c.travel_min) })} · ${c.travel_km} ${t('km')} · `, slaText(c)),
    pinView(c));
}

function unassignedItem(u) {
  return h('li', { dataset: { ticket: u.ticket_id, reason: u.reason } },
    h('strong', u.number), ` ${reasonWords(u.reason)}`,
    u.assignee_id ? h('span.muted', ` · ${t('keeps', { name: engineerName(u.assignee_id) })}`) : null);
}

function summaryView(s) {
  const item = (key, label) => h('span', { dataset: { count: key, value: String(s[key] ?? 0) } }, `${s[key] ?? 0} ${label}`);
  return h('div', { id: 'plan-summary' },
    item('moves', t('n_moves')), ' · ', item('unchanged', t('n_unchanged')), ' · ', item('pinned', t('n_pinned')), ' · ',
    item('unassigned', t('n_unassigned')), ' · ', item('breaches', t('n_late')), ` · ${Math.round((s.travel_km ?? 0) * 10) / 10} ${t('km')}`);
}

/** The plan box: nothing, a busy placeholder, or the preview with its apply button. */
export function planView() {
  const plan = st.plan;
  if (!plan && !st.planBusy && !st.planError) return [];
  const busyNow = !!st.planBusy;
  const attrs = { id: 'plan', 'aria-busy': busyNow ? 'true' : 'false' };
  const error = st.planError
    ? h('p.error', { id: 'plan-error' }, st.planError, ' ', h('button.secondary', { id: 'replan', onclick: preview, disabled: busyNow }, t('preview_again')))
    : null;
  if (!plan) {
    return [h('div', attrs, h('h2', t('plan')), busyNow ? h('p.muted', t('planning')) : null, error)];
  }
  if (plan.fingerprint) attrs['data-fingerprint'] = plan.fingerprint;
  attrs['data-day'] = plan.day || '';
  const title = plan.day ? t('plan_for', { day: plan.day }) : t('plan_now');
  const changes = plan.changes || [];
  const unassigned = plan.unassigned || [];
  return [h('div', attrs,
    h('h2', title),
    summaryView(plan.summary || {}),
    changes.length ? h('ul.tl.changes', changes.map(changeItem)) : h('p.muted', t('plan_empty')),
    unassigned.length ? [h('h3', `${t('not_planned')} (${unassigned.length})`), h('ul.tl', { id: 'plan-unassigned' }, unassigned.map(unassignedItem))] : null,
    error,
    h('p',
      h('button', { id: 'apply-plan', onclick: apply, disabled: busyNow || !plan.fingerprint },
        st.planBusy === 'apply' ? t('applying') : st.planBusy === 'preview' ? t('planning') : t('apply_plan')), ' ',
      h('button.secondary', { id: 'close-plan', disabled: busyNow, onclick: () => { st.plan = null; st.planError = ''; st.unpin = new Set(); ui.drawMap(); ui.drawPanel(); } }, '×')))];
}
