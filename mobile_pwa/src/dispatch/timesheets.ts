// Time sheets for the dispatcher (docs/timesheets.md): one engineer's week, day by day, with
// the totals per kind, the entries behind them, approval (which freezes the day) and reopening
// with a reason, and the week as CSV for payroll. Everything comes from the API; the console
// computes nothing itself.
import { ok, type components } from '../lib/api.js';
import { fmtDay, h, live, type Child } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { duration, hhmm, localDate, weekOf } from '../lib/weeks.js';
import { api, engineerName, engineers, say, ui } from './state.js';

type Sheet = components['schemas']['SheetOut'];
type Day = components['schemas']['DayOut'];
const KINDS = ['travel', 'on_site', 'work', 'pause'] as const;

const ts = {
  engineer: '' as string,
  monday: weekOf(new Date()).from,
  sheet: null as Sheet | null,
  error: '',
  busy: false,
};

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function shiftWeek(days: number): void {
  const d = new Date(`${ts.monday}T12:00:00`);
  d.setDate(d.getDate() + days);
  ts.monday = localDate(d);
  void load();
}

function sunday(): string {
  const d = new Date(`${ts.monday}T12:00:00`);
  d.setDate(d.getDate() + 6);
  return localDate(d);
}

async function load(): Promise<void> {
  if (!ts.engineer) { ts.sheet = null; ui.drawPanel(); return; }
  ts.busy = true;
  ui.drawPanel();
  try {
    ts.sheet = await ok(api.client.GET('/api/v1/timesheets', {
      params: { query: { engineer_id: ts.engineer, from: ts.monday, to: sunday() } },
    }));
    ts.error = '';
  } catch (err) { ts.error = message(err); }
  ts.busy = false;
  ui.drawPanel();
}

async function decide(day: Day, approve: boolean, reasonBox: HTMLInputElement): Promise<void> {
  const path = { engineer_id: ts.engineer, day: day.day };
  try {
    if (approve) {
      await ok(api.client.PUT('/api/v1/timesheets/{engineer_id}/days/{day}/approval', {
        params: { path }, body: { version: day.version },
      }));
    } else {
      const reason = live(reasonBox).value.trim();
      if (!reason) { say(t('ts_reopen_reason')); ui.drawPanel(); return; }
      await ok(api.client.POST('/api/v1/timesheets/{engineer_id}/days/{day}/reopen', {
        params: { path }, body: { reason, version: day.version },
      }));
    }
    say('');
  } catch (err) { say(message(err)); }
  await load();
}

async function download(): Promise<void> {
  try {
    const blob = await ok(api.client.GET('/api/v1/timesheets/export', {
      params: { query: { engineer_id: ts.engineer, from: ts.monday, to: sunday(), format: 'csv' } },
      parseAs: 'blob',
    })) as unknown as Blob;
    const a = h('a', { href: URL.createObjectURL(blob), download: `timesheet-${engineerName(ts.engineer)}-${ts.monday}.csv` });
    a.click();
    URL.revokeObjectURL(a.href);
  } catch (err) { say(message(err)); ui.drawPanel(); }
}

function dayRow(day: Day, reasonBox: HTMLInputElement): HTMLElement {
  const approved = day.status === 'approved';
  const label = fmtDay(day.day);
  const running = day.entries.some((e) => e.open);
  return h('li.ts-day', { dataset: { day: day.day, status: day.status } },
    h('details',
      h('summary',
        h('strong', label), ' ',
        KINDS.filter((k) => day.totals[k]).map((k) => `${t(`ts_${k}`)} ${duration(day.totals[k])}`).join(' · ') || t('ts_no_time'),
        approved ? h('span.badge', ` ${t('ts_approved')}`) : null,
        day.changed_since_approval ? h('span.error', ` ${t('ts_changed')}`) : null),
      h('ul', day.entries.map((e) => h('li', { dataset: { entry: e.id } },
        `${t(`ts_${e.kind}`)}${e.ticket_number ? ` ${e.ticket_number}` : ''} ${hhmm(e.start)}–${e.open ? '…' : hhmm(e.end)} (${duration(e.seconds)})`,
        e.removed ? ` · ${t('ts_removed')}` : '', e.corrected && e.reason ? ` · ${t('ts_corrected')}: ${e.reason}` : '')))),
    approved
      ? h('button.secondary', { onclick: () => decide(day, false, reasonBox), 'aria-label': `${t('ts_reopen')} ${label}` }, t('ts_reopen'))
      : running
        // Approval waits for the running entry to end (409 otherwise): say so, not just no button.
        ? h('span.muted.ts-running', t('ts_wait_running'))
        : day.entries.length
          ? h('button', { onclick: () => decide(day, true, reasonBox), 'aria-label': `${t('ts_approve')} ${label}` }, t('ts_approve'))
          : null);
}

export function timesheetsView(): Child[] {
  const people = engineers().map((f) => f.properties);
  const reasonBox = h('input', { id: 'ts-reopen-reason', 'aria-label': t('ts_reopen_reason'), placeholder: t('ts_reopen_reason') });
  const days = ts.sheet?.days.filter((d) => d.entries.length || d.status === 'approved') ?? [];
  return [
    h('h2', t('ts_sheets')),
    h('div.ts-controls',
      h('select', { id: 'ts-engineer', 'aria-label': t('ts_engineer'), onchange: (e: Event) => { ts.engineer = (e.target as HTMLSelectElement).value; void load(); } },
        h('option', { value: '' }, `— ${t('ts_engineer')} —`),
        people.map((p) => h('option', { value: p.id, selected: p.id === ts.engineer }, p.name))),
      h('button.secondary', { onclick: () => shiftWeek(-7), 'aria-label': t('ts_prev_week') }, '←'),
      h('span', { id: 'ts-week' }, `${ts.monday} – ${sunday()}`),
      h('button.secondary', { onclick: () => shiftWeek(7), 'aria-label': t('ts_next_week') }, '→')),
    ts.error ? h('p.error', ts.error) : null,
    ts.busy ? h('p.muted', t('loading')) : null,
    ts.engineer && ts.sheet
      ? [h('ul.tl', { id: 'ts-days' }, days.length ? days.map((d) => dayRow(d, reasonBox)) : h('li.muted', t('ts_no_time'))),
        reasonBox,
        h('button.secondary', { id: 'ts-export', onclick: download }, t('ts_export'))]
      : null,
  ];
}
