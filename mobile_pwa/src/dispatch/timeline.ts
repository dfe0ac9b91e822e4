// The dispatcher's day on a resource timeline (@event-calendar/core, loaded only by the
// console): one row per engineer with their shift as the background, their jobs as blocks
// coloured by SLA state with the travel before each, and a row of unassigned tickets.
// Dragging a job onto an engineer's row assigns it through the same candidate check as the
// list: the engineer's verdict is fetched first, and a pick that breaks a rule or is not the
// recommendation asks for a reason before the assign call. Data: GET /api/v1/dispatch/timeline.

import '@event-calendar/core/index.css';
import { createCalendar, destroyCalendar, Interaction, ResourceTimeline, type Calendar } from '@event-calendar/core';
import { listOf, ok, type components } from '../lib/api.js';
import { h, mount, type Child } from '../lib/dom.js';
import { currentLanguage, t } from '../lib/i18n.js';
import { api, regions, say, st, ui, type Candidate } from './state.js';
import { reasonWords } from './words.js';

type Schemas = components['schemas'];
export type Timeline = Schemas['TimelineOut'];
type Job = Schemas['TimelineJobOut'];
type Row = Schemas['TimelineEngineerOut'];

export const UNASSIGNED = 'unassigned';
const STATUSES = ['new', 'assigned', 'accepted', 'en_route', 'on_site', 'in_progress', 'on_hold'];
// Per-engineer colours for the plan preview (distinct, readable with white text).
const PLAN_COLOURS = ['#7b1fa2', '#00695c', '#ad1457', '#283593', '#6d4c41', '#2e7d32', '#c62828', '#0277bd'];

/** What the dispatcher dropped and still has to explain (a rule broken, or not the pick). */
interface Pending { ticket: Job; engineer: Row; verdict: Candidate | undefined; error: string }

export const tl = {
  day: new Date().toISOString().slice(0, 10),
  data: null as Timeline | null,
  filters: { region: '', skill: '', engineer: '', status: '', search: '' },
  pending: null as Pending | null,
  error: '',
};

let calendar: Calendar | null = null;
const valueOf = (e: Event): string => (e.target as HTMLInputElement | HTMLSelectElement).value;
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const hhmm = (iso: string): string =>
  new Date(iso).toLocaleTimeString(currentLanguage(), { hour: '2-digit', minute: '2-digit' });

export async function loadTimeline(): Promise<void> {
  try {
    tl.data = await ok(api.client.GET('/api/v1/dispatch/timeline', { params: { query: { date: tl.day } } }));
    tl.error = '';
  } catch (err) { tl.error = message(err); }
  drawTimeline();
}

function matches(job: Job, row: Row | null): boolean {
  const f = tl.filters;
  if (f.status && job.status !== f.status) return false;
  const q = f.search.trim().toLowerCase();
  if (!q) return true;
  return [job.number, job.title, row?.name ?? ''].some((s) => s.toLowerCase().includes(q));
}

/** Engineers passing the row filters, each with the jobs passing the job filters. */
export function visibleRows(data: Timeline): { row: Row; jobs: Job[] }[] {
  const f = tl.filters;
  const q = f.search.trim().toLowerCase();
  return data.engineers
    .filter((r) => (!f.region || r.region_ids.includes(f.region)) && (!f.skill || r.skills.includes(f.skill))
      && (!f.engineer || r.engineer_id === f.engineer))
    .map((row) => ({ row, jobs: row.jobs.filter((j) => matches(j, row)) }))
    // An engineer picked in the filter stays, so a searched-for job can be dragged onto them.
    .filter(({ row, jobs }) => !q || f.engineer || jobs.length > 0 || row.name.toLowerCase().includes(q));
}

function label(job: Job, who: string): string {
  const travel = job.travel_min ? `, ${t('tl_travel', { m: Math.round(job.travel_min) })}` : '';
  const ongoing = job.ongoing ? `, ${t('tl_ongoing')}` : '';
  return `${job.number} ${job.title}, ${job.priority}, ${t(`s_${job.status}`)}${ongoing}, ${hhmm(job.start)}–${hhmm(job.end)}${travel}, `
    + `${t('tl_sla')} ${t(`tl_sla_${job.sla_state}`)}, ${who}`;
}

/** A plan stop the timeline can place: a ticket with a time on an engineer's row (``route``
 * is the route's index, for its colour; ``n`` the stop's place in it, from 0). */
interface PlanStop { ticket: string; engineer: string; start: string; finish: string; route: number; n: number }

function planStops(): PlanStop[] {
  const out: PlanStop[] = [];
  (st.plan?.routes || []).forEach((route, i) => {
    (route.tickets || []).forEach((stop, n) => {
      if (stop.ticket_id && stop.start && stop.finish && route.engineer_id) {
        out.push({ ticket: stop.ticket_id, engineer: route.engineer_id, start: stop.start, finish: stop.finish, route: i, n });
      }
    });
  });
  return out;
}

/** The tickets the plan preview places. While a preview is shown each of them is drawn once,
 * where the plan puts it: its current block (and the travel before it) would otherwise lie
 * under or over the plan's block in the same row, as a schedule board's "what-if" shows the
 * proposed day, not both days on top of each other. */
function planned(): Set<string> {
  return new Set(planStops().map((s) => s.ticket));
}

/** How many of the plan's stops lie wholly outside the day shown (a 24-hour roster lets a
 * long route run into the next day): a day view cannot draw them, so the note counts them
 * and the plan list holds them, rather than the stops silently missing from the board. */
function planElsewhere(day: string): number {
  const from = new Date(`${day}T00:00`).getTime();
  const to = from + 86_400_000;
  return planStops().filter((s) => new Date(s.finish).getTime() <= from || new Date(s.start).getTime() >= to).length;
}

function events(data: Timeline): Calendar.EventInput[] {
  const out: Calendar.EventInput[] = [];
  const replaced = planned();
  for (const { row, jobs: all } of visibleRows(data)) {
    const jobs = all.filter((j) => !replaced.has(j.ticket_id));
    if (row.shift_start && row.shift_end) {
      out.push({ id: `shift:${row.engineer_id}`, resourceId: row.engineer_id, start: new Date(row.shift_start),
        end: new Date(row.shift_end), display: 'background', classNames: ['tl-shift'] });
    }
    for (const job of jobs) {
      const start = new Date(job.start);
      if (job.travel_min) {
        out.push({ id: `travel:${job.ticket_id}`, resourceId: row.engineer_id, editable: false,
          start: new Date(start.getTime() - job.travel_min * 60_000), end: start, classNames: ['tl-travel'],
          title: '', extendedProps: { ticket: job.ticket_id, travel: job.travel_min } });
      }
      out.push({ id: `job:${job.ticket_id}`, resourceId: row.engineer_id, start, end: new Date(job.end),
        // Started on an earlier day and still open: drawn from now, marked as under way.
        title: `${job.number} ${job.title}`,
        classNames: ['tl-job', `sla-${job.sla_state}`, job.priority, ...(job.ongoing ? ['tl-ongoing'] : [])],
        extendedProps: { ticket: job.ticket_id, label: label(job, row.name) } });
    }
  }
  for (const job of data.unassigned.filter((j) => matches(j, null) && !replaced.has(j.ticket_id))) {
    out.push({ id: `job:${job.ticket_id}`, resourceId: UNASSIGNED, start: new Date(job.start), end: new Date(job.end),
      title: `${job.number} ${job.title}`, classNames: ['tl-job', 'tl-unassigned', `sla-${job.sla_state}`, job.priority],
      extendedProps: { ticket: job.ticket_id, label: label(job, t('tl_unassigned')) } });
  }
  return out.concat(planEvents());
}

/** The plan preview's stops on the engineers' rows: one colour per engineer, order numbers. */
function planEvents(): Calendar.EventInput[] {
  return planStops().map(({ ticket, engineer, start, finish, route, n }) => {
    const number = findJob(ticket)?.number ?? '';
    return { id: `plan:${ticket}`, resourceId: engineer, editable: false,
      start: new Date(start), end: new Date(finish), backgroundColor: PLAN_COLOURS[route % PLAN_COLOURS.length], classNames: ['tl-plan'],
      title: `${n + 1}. ${number}`,
      extendedProps: { ticket, stop: n + 1, engineer, label: t('tl_plan_stop', { n: n + 1, number, at: hhmm(start) }) } };
  });
}

function findJob(id: string): Job | undefined {
  const d = tl.data;
  if (!d) return undefined;
  return d.unassigned.find((j) => j.ticket_id === id) ?? d.engineers.flatMap((r) => r.jobs).find((j) => j.ticket_id === id);
}

/** A drop on another row: check the engineer as the candidate list does, then assign or ask. */
async function dropped(info: Calendar.EventDropInfo): Promise<void> {
  const id = String(info.event.extendedProps.ticket ?? '');
  const target = info.newResource?.id;
  const job = findJob(id);
  const engineer = tl.data?.engineers.find((r) => r.engineer_id === target);
  info.revert(); // the server sets the ETA; the block moves when the timeline reloads
  if (!job || !engineer || !target || target === info.oldResource?.id) {
    if (!info.newResource) say(t('tl_eta_by_server'));
    drawTimeline();
    return;
  }
  try {
    const cands = listOf<Candidate>(await ok(api.client.GET('/api/v1/dispatch/tickets/{ticket_id}/candidates', {
      params: { path: { ticket_id: id }, query: { engineer_id: [target] } },
    })));
    const best = cands.find((c) => c.eligible)?.engineer_id;
    const verdict = cands.find((c) => c.engineer_id === target);
    if (verdict?.eligible && best === target) await assign(job, engineer, null);
    else { tl.pending = { ticket: job, engineer, verdict, error: '' }; drawTimeline(); }
  } catch (err) { tl.error = message(err); drawTimeline(); }
}

async function assign(job: Job, engineer: Row, reason: string | null): Promise<void> {
  await ok(api.client.POST('/api/v1/dispatch/tickets/{ticket_id}/assign', {
    params: { path: { ticket_id: job.ticket_id } }, body: { engineer_id: engineer.engineer_id, reason },
  }));
  tl.pending = null;
  say(`${job.number} → ${engineer.name}`);
  await loadTimeline();
  await ui.refresh();
}

function pendingView(p: Pending): HTMLElement {
  const reason = h('input', { id: 'tl-reason', placeholder: t('reason'), 'aria-label': t('reason') });
  const broken = p.verdict?.reasons?.length ? p.verdict.reasons.map((r) => reasonWords(r)).join(', ') : t('tl_not_best');
  return h('div', { id: 'tl-pending', role: 'dialog', 'aria-label': t('tl_reason_title') },
    h('strong', `${p.ticket.number} → ${p.engineer.name}`), ': ', h('span.error', { id: 'tl-broken' }, broken),
    reason,
    h('div.cand-actions',
      h('button', { id: 'tl-confirm', onclick: async () => {
        const why = reason.value.trim();
        if (!why) { p.error = t('reason_required'); drawTimeline(); return; }
        try { await assign(p.ticket, p.engineer, why); } catch (err) { p.error = message(err); drawTimeline(); }
      } }, t('override')),
      h('button.secondary', { id: 'tl-cancel', onclick: () => { tl.pending = null; drawTimeline(); } }, t('cancel')),
      p.error ? h('span.error', p.error) : null));
}

function toolbar(data: Timeline | null): Child[] {
  const f = tl.filters;
  const sel = (name: 'region' | 'skill' | 'engineer' | 'status', opts: [string, string][]): HTMLElement =>
    h('select', { id: `tl-${name}`, 'aria-label': t(`tl_${name}`), onchange: (e: Event) => { f[name] = valueOf(e); drawTimeline(); } },
      [['', `${t(`tl_${name}`)}: ${t('all')}`] as [string, string], ...opts].map(([v, l]) => h('option', { value: v, selected: f[name] === v }, l)));
  const skills = [...new Set((data?.engineers || []).flatMap((r) => r.skills))].sort();
  return [h('div.tl-bar',
    h('label', t('tl_day'), ' ', h('input', { id: 'tl-day', type: 'date', value: tl.day,
      onchange: (e: Event) => { tl.day = valueOf(e) || new Date().toISOString().slice(0, 10); void loadTimeline(); } })),
    sel('region', regions().map((r): [string, string] => {
      const p = r.properties as { id?: string; name?: string };
      return [p.id ?? '', p.name ?? ''];
    })),
    sel('skill', skills.map((s): [string, string] => [s, s])),
    sel('engineer', (data?.engineers || []).map((r): [string, string] => [r.engineer_id, r.name])),
    sel('status', STATUSES.map((s): [string, string] => [s, t(`s_${s}`)])),
    h('input', { id: 'tl-search', type: 'search', placeholder: t('tl_search'), 'aria-label': t('tl_search'), value: f.search,
      oninput: (e: Event) => { f.search = valueOf(e); drawCalendar(); } }))];
}

function drawCalendar(): void {
  const el = document.getElementById('timeline');
  const data = tl.data;
  if (!el || !data) return;
  const resources: Calendar.ResourceInput[] = [{ id: UNASSIGNED, title: t('tl_unassigned') },
    ...visibleRows(data).map(({ row }) => ({ id: row.engineer_id, title: row.name }))];
  const options: Calendar.Options = {
    view: 'resourceTimelineDay', date: data.date, resources, events: events(data), height: '100%',
    headerToolbar: { start: '', center: '', end: '' }, slotDuration: '01:00', slotWidth: 56,
    editable: true, eventDurationEditable: false, nowIndicator: true, locale: currentLanguage(),
    eventDrop: (info) => { void dropped(info); },
    // A plan stop reads as its order number first, then the time (default content otherwise).
    eventContent: ({ event, timeText }) => (String(event.id).startsWith('plan:')
      ? { domNodes: [h('strong.tl-stop', String(event.title)), document.createTextNode(' '), h('span', timeText)] } : undefined),
    eventDidMount: ({ el: block, event }) => {
      const id = String(event.id);
      const ticket = String(event.extendedProps.ticket ?? '');
      block.dataset.ticket = ticket;
      if (id.startsWith('job:') || id.startsWith('plan:')) {
        block.tabIndex = 0;
        block.setAttribute('role', 'button');
        block.setAttribute('aria-label', String(event.extendedProps.label ?? ''));
        block.dataset.kind = id.startsWith('job:') ? 'job' : 'plan';
        if (event.extendedProps.stop) block.dataset.stop = String(event.extendedProps.stop);
      } else if (id.startsWith('travel:')) {
        block.dataset.kind = 'travel';
        block.setAttribute('aria-hidden', 'true');
        block.title = t('tl_travel', { m: Math.round(Number(event.extendedProps.travel)) });
      }
    },
    resourceLabelDidMount: ({ el: cell, resource }) => { cell.dataset.engineer = String(resource.id); },
  };
  if (!calendar) plainRoles(el);
  if (calendar) {
    for (const [k, v] of Object.entries(options)) calendar.setOption(k as keyof Calendar.Options, v as never);
  } else {
    calendar = createCalendar(el, [ResourceTimeline, Interaction], options);
  }
  document.body.dataset.timelineAt = String(Date.now());
}

/** The resource timeline marks itself up as a table whose row headers sit outside any row
 * (axe: aria-required-children / -parent, critical), so screen readers would announce a broken
 * grid. Its table roles are dropped (re-applied to rows the library adds later) and the
 * timeline is one labelled group; each job block is a labelled button naming its engineer. */
function plainRoles(el: HTMLElement): void {
  const fix = (): void => {
    for (const node of el.querySelectorAll('[role=table],[role=rowgroup],[role=row],[role=rowheader],[role=columnheader],[role=cell]')) {
      node.setAttribute('role', 'presentation');
    }
    for (const node of el.querySelectorAll('[role=cell],[role=presentation]')) {
      node.setAttribute('role', 'presentation');
      for (const a of ['aria-colindex', 'aria-colspan', 'aria-rowindex', 'aria-rowspan']) node.removeAttribute(a);
    }
    const root = el.querySelector('.ec');
    if (root && root.getAttribute('role') !== 'group') {
      root.setAttribute('role', 'group');
      root.setAttribute('aria-label', t('tl_title'));
    }
  };
  new MutationObserver(fix).observe(el, { childList: true, subtree: true });
  fix();
}

/** Show one engineer's day (their marker on the map was activated): the engineer filter of
 * the timeline set to them, the timeline scrolled into view. */
export function showEngineer(id: string): void {
  tl.filters.engineer = id;
  drawTimeline();
  document.getElementById('timeline-box')?.scrollIntoView({ block: 'nearest' });
}

/** Redraw the toolbar and the reason prompt; the calendar is updated in place. */
export function drawTimeline(): void {
  const bar = document.getElementById('timeline-bar');
  if (!bar) return;
  const active = document.activeElement;
  if (!(active && bar.contains(active) && active.id === 'tl-search')) mount(bar, toolbar(tl.data));
  const note = document.getElementById('timeline-note');
  const elsewhere = tl.data ? planElsewhere(tl.data.date) : 0;
  if (note) {
    mount(note, tl.error ? h('p.error', tl.error) : null, tl.pending ? pendingView(tl.pending) : null,
      planned().size ? h('p.muted', { id: 'tl-plan-note' }, t('tl_plan_note')) : null,
      elsewhere ? h('p.muted', { id: 'tl-plan-elsewhere', dataset: { count: String(elsewhere) } },
        t('tl_plan_elsewhere', { n: elsewhere })) : null);
  }
  drawCalendar();
}

/** Forget the calendar when the shell is rebuilt (login, language change). */
export function resetTimeline(): void {
  if (calendar) void destroyCalendar(calendar);
  calendar = null;
}
