// The engineer's own time sheet ("My time"): this week's days as the server derives them from
// the status changes (cached, so it shows offline with the time it was fetched), and
// corrections queued like any other change (`timesheet.correct`, docs/timesheets.md), shown on
// their entry as queued until the server has them. The server decides: the phone only overlays
// what it has sent, never recomputes the sheet.

import type { components } from '../lib/api.js';
import { fmtDay, fmtTime, h, live, uuid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { atTime, duration, hhmm, localDate, weekOf } from '../lib/weeks.js';
import { getMeta, setMeta } from './db.js';
import type { App, Mutation } from './types.js';

type Sheet = components['schemas']['SheetOut'];
type Day = components['schemas']['DayOut'];
type Entry = components['schemas']['EntryOut'];
interface Cached { sheet: Sheet; fetched_at: string; from: string }

const META = 'timesheet';
const KINDS = ['travel', 'on_site', 'work', 'pause'] as const;

/** A queued correction laid over its entry: new bounds or removal, marked as queued. */
export function overlay(entry: Entry, queued: Mutation[]): Entry & { _queued?: boolean } {
  const mine = queued.filter((m) => m.name === 'timesheet.correct' && m.args.entry_id === entry.id
    && m.status === 'pending');
  const last = mine[mine.length - 1];
  if (!last) return entry;
  const a = last.args as { start?: string; end?: string; removed?: boolean; reason?: string };
  const start = a.start || entry.start;
  const end = a.end || entry.end;
  const seconds = Math.max(0, (new Date(end).getTime() - new Date(start).getTime()) / 1000);
  return { ...entry, start, end, seconds, removed: !!a.removed, reason: a.reason ?? entry.reason, corrected: true, _queued: true };
}

export function createTimesheet(app: App, rerender: () => void) {
  let cached: Cached | null = null;
  let loading = false;
  let editing: string | null = null;
  let error = '';

  async function refresh(): Promise<void> {
    const week = weekOf(new Date());
    if (!cached) cached = await getMeta<Cached | null>(app.db, META, null);
    if (!app.online || loading) return;
    loading = true;
    try {
      const sheet = (await app.api.get(`/api/v1/timesheets?from=${week.from}&to=${week.to}`)) as Sheet;
      cached = { sheet, fetched_at: new Date().toISOString(), from: week.from };
      await setMeta(app.db, META, cached);
      error = '';
    } catch {
      error = t('ts_offline');
    } finally {
      loading = false;
      rerender();
    }
  }

  async function submit(entry: Entry, form: HTMLFormElement): Promise<void> {
    const data = new FormData(live(form));
    const reason = String(data.get('reason') || '').trim();
    const removed = data.get('removed') === 'on';
    const start = atTime(entry.start, String(data.get('start') || hhmm(entry.start)));
    const end = atTime(entry.end, String(data.get('end') || hhmm(entry.end)));
    const msg = live(form).querySelector('.error') as HTMLElement | null;
    const say = (key: string) => { if (msg) msg.textContent = t(key); };
    if (!reason) return say('reason_required');
    if (!removed && new Date(end) < new Date(start)) return say('ts_end_before_start');
    const args: Record<string, unknown> = { id: uuid(), entry_id: entry.id, reason, removed, occurred_at: new Date().toISOString() };
    if (start !== entry.start) args.start = start;
    if (end !== entry.end) args.end = end;
    if (!removed && !args.start && !args.end) return say('ts_nothing_changed');
    editing = null;
    await app.mutate('timesheet.correct', args);
    rerender();
  }

  function entryRow(raw: Entry, locked: boolean): HTMLElement {
    const e = overlay(raw, app.queue);
    const label = `${t(`ts_${e.kind}`)}${e.ticket_number ? ` #${e.ticket_number}` : ''}`;
    const row = h('li.ts-entry', { dataset: { entry: e.id } },
      h('div.row',
        h('strong', label),
        h('span', `${hhmm(e.start)}–${e.open ? '…' : hhmm(e.end)}`),
        h('span.muted', duration(e.seconds)),
      ),
      h('div.row',
        e.open ? h('span.badge.status', t('ts_running')) : null,
        e._queued ? h('span.badge.pending', t('queued')) : e.corrected ? h('span.badge.status', t('ts_corrected')) : null,
        e.removed ? h('span.badge.conflict', t('ts_removed')) : null,
        e.reason ? h('span.muted', e.reason) : null,
        !locked && !e.open && editing !== e.id
          ? h('button.secondary.small', { onclick: () => { editing = e.id; rerender(); }, 'aria-label': `${t('ts_correct')}: ${label}` }, t('ts_correct'))
          : null,
      ),
      editing === e.id ? correctionForm(raw) : null,
    );
    return row;
  }

  function correctionForm(entry: Entry): HTMLElement {
    const id = `ts-${entry.id}`;
    const form: HTMLFormElement = h('form.ts-form', {
      onsubmit: (ev: Event) => { ev.preventDefault(); void submit(entry, form); },
    },
      h('label', { for: `${id}-start` }, t('ts_start')),
      h('input', { type: 'time', name: 'start', id: `${id}-start`, value: hhmm(entry.start) }),
      h('label', { for: `${id}-end` }, t('ts_end')),
      h('input', { type: 'time', name: 'end', id: `${id}-end`, value: hhmm(entry.end) }),
      h('label.check', h('input', { type: 'checkbox', name: 'removed' }), ` ${t('ts_remove')}`),
      h('label', { for: `${id}-reason` }, t('reason')),
      h('input', { name: 'reason', id: `${id}-reason`, 'aria-required': 'true', maxlength: 500 }),
      h('p.error', { role: 'alert' }),
      h('div.row',
        h('button', { type: 'submit' }, t('ts_save')),
        h('button.secondary', { type: 'button', onclick: () => { editing = null; rerender(); } }, t('ts_cancel')),
      ),
    ) as HTMLFormElement;
    return form;
  }

  function dayCard(day: Day): HTMLElement {
    const locked = day.status === 'approved';
    const totals = KINDS.filter((k) => day.totals[k]).map((k) => `${t(`ts_${k}`)} ${duration(day.totals[k])}`);
    const title = fmtDay(day.day);
    return h('section.card.ts-day', { dataset: { day: day.day } },
      h('h3', title, locked ? h('span.badge.status', ` ${t('ts_approved')}`) : null),
      h('p.muted', totals.join(' · ') || t('ts_no_time')),
      day.entries.length ? h('ul.ts-entries', day.entries.map((e) => entryRow(e, locked))) : null,
    );
  }

  let pendingBefore = 0;

  /** Fetch again when stale (30 s), or when a queued correction has just reached the server. */
  function maybeRefresh(): void {
    const pending = app.queue.filter((m) => m.name === 'timesheet.correct' && m.status !== 'acked').length;
    const age = cached ? Date.now() - new Date(cached.fetched_at).getTime() : Infinity;
    if (!loading && app.online && (age > 30_000 || pending < pendingBefore)) void refresh();
    else if (!cached && !loading) void refresh();
    pendingBefore = pending;
  }

  function screen(): HTMLElement {
    maybeRefresh();
    const days = cached?.sheet.days.filter((d) => d.entries.length || d.day === localDate(new Date())) ?? [];
    const week = cached ? KINDS.map((k) => [k, cached!.sheet.days.reduce((s, d) => s + (d.totals[k] || 0), 0)] as const) : [];
    return h('div', { id: 'timesheet' },
      h('p', h('a', { href: '#/' }, `← ${t('back')}`)),
      h('h2', t('ts_title')),
      cached ? h('p.muted', { id: 'ts-fetched' }, `${t('ts_as_of')} ${fmtTime(cached.fetched_at)}`) : h('p.muted', t(app.online ? 'syncing' : 'ts_offline')),
      error ? h('p.muted', error) : null,
      week.length ? h('p', { id: 'ts-week' }, week.filter(([, s]) => s).map(([k, s]) => `${t(`ts_${k}`)} ${duration(s)}`).join(' · ') || t('ts_no_time')) : null,
      days.map(dayCard),
    );
  }

  return { screen, refresh };
}
