// The Insights screen's pure helpers (src/dispatch/insights/): period arithmetic, the change
// against the previous period, value formatting, the KPI descriptors' reading of the reports
// and the drill-down query, and that every word exists in both languages.
import { describe, expect, it } from 'vitest';
import { setLanguage } from '../src/lib/i18n.js';
import { type Answers, drillQuery, KPIS, reportQuery, sourcesOf } from '../src/dispatch/insights/kpis.js';
import { bucketPeriod, customPeriod, delta, formatValue, lastDays, previousPeriod, spanDays, trendBucket } from '../src/dispatch/insights/period.js';
import { wordKeys } from '../src/dispatch/insights/words.js';
import { asJob, bar, ended, EXPORT_REPORTS, exportQuery, JOB_MIN_DAYS } from '../src/dispatch/insights/exports.js';

const iso = (d: Date): string => d.toISOString();

describe('periods', () => {
  it('the last n days end at the next UTC midnight and include today', () => {
    const p = lastDays(7, new Date('2026-12-03T10:15:00Z'));
    expect([iso(p.from), iso(p.to)]).toEqual(['2026-11-27T00:00:00.000Z', '2026-12-04T00:00:00.000Z']);
    expect(spanDays(p)).toBe(7);
  });

  it('the previous period has the same length and ends where this one starts', () => {
    const p = lastDays(30, new Date('2026-03-01T23:59:00Z'));
    const prev = previousPeriod(p);
    expect(iso(prev.to)).toBe(iso(p.from));
    expect(spanDays(prev)).toBe(30);
    expect(iso(prev.from)).toBe('2026-01-01T00:00:00.000Z');
  });

  it('a custom period includes both days; reversed, invalid or too long is null', () => {
    const p = customPeriod('2026-02-01', '2026-02-28');
    expect(p && [iso(p.from), iso(p.to)]).toEqual(['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z']);
    expect(customPeriod('2026-02-10', '2026-02-01')).toBeNull();
    expect(customPeriod('2026-02-30', '2026-03-01')).toBeNull();
    expect(customPeriod('yesterday', '2026-03-01')).toBeNull();
    expect(customPeriod('2025-01-01', '2026-01-01')).not.toBeNull(); // 366 days
    expect(customPeriod('2025-01-01', '2026-01-02')).toBeNull(); // 367
  });

  it('trends by day up to a month, then by week; a bucket is clipped to the period', () => {
    expect(trendBucket(lastDays(30, new Date()))).toBe('day');
    expect(trendBucket(lastDays(90, new Date()))).toBe('week');
    const p = customPeriod('2026-11-04', '2026-11-30');
    if (!p) throw new Error('period');
    const week = bucketPeriod('2026-11-02', 'week', p); // Monday before the period starts
    expect([iso(week.from), iso(week.to)]).toEqual(['2026-11-04T00:00:00.000Z', '2026-11-09T00:00:00.000Z']);
    const month = bucketPeriod('2026-11-01', 'month', p);
    expect(iso(month.to)).toBe('2026-12-01T00:00:00.000Z');
  });
});

describe('change against the previous period', () => {
  it('counts by their difference, good or bad by the better direction', () => {
    expect(delta(12, 9, 'count', 'down')).toEqual({ text: '+3', tone: 'bad' });
    expect(delta(7, 9, 'count', 'down')).toEqual({ text: '\u22122', tone: 'good' });
    expect(delta(4, 4, 'count', 'down')).toEqual({ text: '±0', tone: 'flat' });
  });

  it('percentages in points to one decimal; minutes likewise; nothing to compare is empty', () => {
    expect(delta(85.5, 80, 'pct', 'up')).toEqual({ text: '+5.5', tone: 'good' });
    expect(delta(80, 85.56, 'pct', 'up')).toEqual({ text: '\u22125.6', tone: 'bad' });
    expect(delta(60.04, 60, 'min', 'down')).toEqual({ text: '±0', tone: 'flat' });
    expect(delta(null, 3, 'count', 'down')).toEqual({ text: '', tone: 'flat' });
    expect(delta(3, null, 'count', 'down')).toEqual({ text: '', tone: 'flat' });
  });

  it('values: percent, count, duration in the language, a dash for none', () => {
    setLanguage('en', false);
    expect(formatValue(85.456, 'pct')).toBe('85.5 %');
    expect(formatValue(1204, 'count')).toBe('1,204');
    expect(formatValue(125, 'min')).toBe('2 h 5 min');
    expect(formatValue(null, 'min')).toBe('—');
    setLanguage('zh-CN', false);
    expect(formatValue(45, 'min')).toBe('45 分钟');
    setLanguage('en', false);
  });
});

const clock = (met: number, due: number) => ({ due, met, met_pct: due ? (100 * met) / due : null, late_median_min: null, late_p90_min: null });
const times = { n: 2, median_min: 30, p90_min: 54 };

describe('KPI descriptors', () => {
  const answers: Answers = {
    sla: [{ key: null, tickets: 20, respond: clock(17, 20), resolve: clock(9, 10), at_risk: 2, breached: 4 }],
    times: [{ key: null, tickets: 20, to_assign: times, to_accept: times, to_arrive: { n: 5, median_min: 90, p90_min: 200 }, to_complete: times }],
    backlog: [
      { key: null, status: 'new' as const, total: 3, ages: { lt_4h: 1, lt_1d: 2, lt_3d: 0, lt_7d: 0, older: 0 } },
      { key: null, status: 'on_hold' as const, total: 2, ages: { lt_4h: 0, lt_1d: 0, lt_3d: 0, lt_7d: 0, older: 2 } },
    ],
  };
  const byId = Object.fromEntries(KPIS.map((k) => [k.id, k]));

  it('read their numbers from the ungrouped answers', () => {
    expect(byId.respond_met?.value(answers)).toBe(85);
    expect(byId.respond_met?.parts?.(answers)).toEqual({ n: 17, of: 20 });
    expect(byId.breached?.value(answers)).toBe(4);
    expect(byId.backlog?.value(answers)).toBe(5);
    expect(byId.to_arrive_p90?.value(answers)).toBe(200);
  });

  it('an empty period is zero tickets, not a missing number; an unfetched report is null', () => {
    expect(byId.breached?.value({ sla: [] })).toBe(0);
    expect(byId.respond_met?.value({ sla: [] })).toBeNull();
    expect(byId.breached?.value({})).toBeNull();
  });

  it('ids are unique, each has words in both languages, sources are the reports', () => {
    expect(new Set(KPIS.map((k) => k.id)).size).toBe(KPIS.length);
    for (const lang of ['en', 'zh-CN']) for (const k of KPIS) expect(wordKeys(lang)).toContain(`k_${k.id}`);
    expect(new Set(wordKeys('en'))).toEqual(new Set(wordKeys('zh-CN')));
    expect(sourcesOf(KPIS).sort()).toEqual(['backlog', 'sla', 'times']);
  });

  it('report and drill-down queries carry the period and filters; a group narrows the list', () => {
    const from = new Date('2026-11-01T00:00:00Z');
    const to = new Date('2026-12-01T00:00:00Z');
    const f = { region_id: 'r1', engineer_id: '', priority: 'P1' };
    expect(reportQuery(from, to, f, 'week')).toEqual({ from: iso(from), to: iso(to), group_by: 'week', region_id: 'r1', priority: 'P1' });
    expect(drillQuery(from, to, f, { sla: 'breached' })).toEqual({
      created_from: iso(from), created_to: iso(to), sla: 'breached', region_id: 'r1', priority: 'P1' });
    expect(drillQuery(from, to, f, {}, { by: 'engineer', key: null }).unassigned).toBe('true');
    expect(drillQuery(from, to, f, {}, { by: 'engineer', key: 'e1' }).assignee_id).toBe('e1');
    expect(drillQuery(from, to, f, {}, { by: 'region', key: null }).unrouted).toBe('true');
    expect(drillQuery(from, to, f, {}, { by: 'priority', key: 'P2' }).priority).toBe('P2');
  });
});

describe('exports and unassigned reasons', () => {
  it('a long period is exported by a job; a short one in the request', () => {
    expect(asJob(7)).toBe(false);
    expect(asJob(JOB_MIN_DAYS)).toBe(false);
    expect(asJob(90)).toBe(true);
    expect(exportQuery({ from: 'a', group_by: 'none' }, 'xlsx')).toEqual({ from: 'a', group_by: 'none', format: 'xlsx' });
  });

  it('the progress bar is indeterminate while computing, then the share of rows', () => {
    expect(bar(null)).toEqual({ now: null, done: 0, total: null });
    expect(bar({ phase: 'computing', done: 0, total: null, percent: 0, seconds: 1 })).toEqual({ now: null, done: 0, total: null });
    expect(bar({ phase: 'writing', done: 30, total: 120, percent: 25, seconds: 2 })).toEqual({ now: 25, done: 30, total: 120 });
    expect(bar({ phase: 'done', done: 120, total: 120, percent: 100, seconds: 3 }).now).toBe(100);
    expect(ended({ status: 'started' })).toBe(false);
    expect(ended({ status: 'finished' })).toBe(true);
    expect(ended({ status: 'failed' })).toBe(true);
  });

  it('every reason, every exportable report and the export words exist in both languages', () => {
    const reasons = ['unrouted', 'no_skill', 'off_shift', 'at_capacity', 'declined', 'unassigned', 'not_dispatched'];
    for (const lang of ['en', 'zh-CN']) {
      for (const r of reasons) expect(wordKeys(lang)).toEqual(expect.arrayContaining([`r_${r}`, `rd_${r}`]));
      for (const r of EXPORT_REPORTS) expect(wordKeys(lang)).toContain(`x_${r}`);
      expect(wordKeys(lang)).toEqual(expect.arrayContaining(['export', 'export_progress', 'export_rows', 'unassigned_why']));
    }
  });
});

describe('the status filter', () => {
  const from = new Date('2026-11-01T00:00:00Z');
  const to = new Date('2026-12-01T00:00:00Z');
  const f = { region_id: '', engineer_id: '', priority: '', status: 'new,completed' };

  it('goes to the reports and narrows the drill-down to the statuses both name', () => {
    expect(reportQuery(from, to, f).status).toBe('new,completed');
    expect(drillQuery(from, to, f, {}).status).toBe('new,completed');
    expect(drillQuery(from, to, f, { status: 'completed,closed' }).status).toBe('completed');
    const none = drillQuery(from, to, { ...f, status: 'cancelled' }, { status: 'completed,closed' });
    expect(none.created_to).toBe(none.created_from);
    expect(drillQuery(from, to, f, {}, { by: 'status', key: 'new' }).status).toBe('new');
    expect(reportQuery(from, to, { ...f, status: '' }).status).toBeUndefined();
  });
});
