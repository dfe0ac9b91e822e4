import { describe, expect, it } from 'vitest';
import { setLanguage } from '../src/lib/i18n.js';
import { deadline, relative, when } from '../src/dispatch/sla.js';
import { candidateNumbers, candidateWords, phaseWords, progressWords, reasonWords, runningWords } from '../src/dispatch/words.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const iso = (mins: number): string => new Date(NOW + mins * 60000).toISOString();

describe('SLA deadlines in words', () => {
  it('counts down to respond-by until the ticket is accepted, then to resolve-by', () => {
    const p = { status: 'assigned', respond_by: iso(60), resolve_by: iso(480), responded_at: null };
    expect(deadline(p)).toEqual({ kind: 'respond', at: p.respond_by });
    expect(deadline({ ...p, status: 'accepted', responded_at: iso(-5) })).toEqual({ kind: 'resolve', at: p.resolve_by });
  });

  it('says "68 h overdue" rather than a signed duration', () => {
    setLanguage('en', false);
    expect(relative(iso(-(68 * 60 + 47)), NOW)).toEqual({ overdue: true, text: '68 h overdue' });
    expect(relative(iso(-47), NOW)).toEqual({ overdue: true, text: '47 min overdue' });
    expect(relative(iso(125), NOW)).toEqual({ overdue: false, text: 'in 2 h 5 min' });
    setLanguage('zh-CN', false);
    expect(relative(iso(-(68 * 60 + 47)), NOW).text).toBe('已超时 68 小时');
    setLanguage('en', false);
  });
});

describe('SLA deadline dates', () => {
  it('names the month and day of a deadline on another day, never "30 Mon"', () => {
    setLanguage('en', false);
    const monday = new Date(2026, 10, 30, 15, 28).toISOString(); // local time, like the console
    const text = when(monday, new Date(2026, 11, 3, 12, 0).getTime());
    expect(text).toMatch(/Mon.*Nov.*30/);
    expect(text).not.toMatch(/^30 Mon/);
    setLanguage('zh-CN', false);
    expect(when(monday, new Date(2026, 11, 3, 12, 0).getTime())).toContain('11月30日');
    setLanguage('en', false);
  });
});

describe('candidates in words', () => {
  const verdict = {
    eligible: true, reasons: [], score: 87.46, sla_lateness: 0, travel_min: 4.2, distance_m: 2100, open_jobs: 1,
    terms: { travel: { value: 4.2, grade: 0.04, weight: 0.45 }, earliest_start: { value: 4.2, grade: 0.01, weight: 0.2 } },
  };

  it('reads like a sentence, the numbers only on demand', () => {
    setLanguage('en', false);
    expect(candidateWords(verdict).join(' · ')).toBe('4 min drive · free now · 1 open job · skills ✓');
    const busy = { ...verdict, open_jobs: 3, terms: { ...verdict.terms, earliest_start: { value: 94.2 } } };
    expect(candidateWords(busy)).toContain('free in 1 h 30 min');
    expect(candidateNumbers(verdict).join('\n')).toContain('earliest_start: value 4.2 · grade 0.01 · weight 0.2');
  });

  it('names broken rules in words, in both languages', () => {
    setLanguage('en', false);
    const unfit = { ...verdict, eligible: false, reasons: ['missing_skill:hvac', 'off_shift'] };
    expect(candidateWords(unfit)).toEqual(['4 min drive', 'free now', '1 open job', 'skill hvac missing', 'off shift']);
    setLanguage('zh-CN', false);
    expect(candidateWords(verdict).join(' · ')).toBe('4 分钟车程 · 现在有空 · 1 个未完成工单 · 技能 ✓');
    expect(reasonWords('status:off_duty')).toBe('休息中');
    setLanguage('en', false);
  });

  it('tells a full job list from an over-full shift (they were both "no free job slot")', () => {
    for (const lang of ['en', 'zh-CN'] as const) {
      setLanguage(lang, false);
      const full = reasonWords('at_capacity');
      const overfull = reasonWords('shift_full');
      expect(overfull).not.toBe('shift_full'); // has words of its own
      expect(overfull).not.toBe(full);
    }
    setLanguage('en', false);
    expect(reasonWords('at_capacity')).toBe('max open jobs reached');
    expect(reasonWords('shift_full')).toBe('shift already fully booked');
  });
});

describe('a queued plan in words', () => {
  it('names the phase and the share of the budget used, clamped', () => {
    setLanguage('en', false);
    expect(progressWords({ phase: 'search', percent: 44.6 })).toBe('Shortening the routes · 45 % of the time');
    expect(progressWords({ phase: 'done', percent: 100 })).toBe('Done · 100 % of the time');
    expect(progressWords({ phase: 'whatever', percent: 250 })).toBe('Planning… · 100 % of the time');
    expect(progressWords({})).toBe('Planning… · 0 % of the time');
    setLanguage('zh-CN', false);
    expect(progressWords({ phase: 'pass1', percent: 5 })).toBe('选择工单 · 已用时间 5%');
    setLanguage('en', false);
  });

  it('says what the phase knows: the size, the tickets placed after the passes, what the search gained', () => {
    setLanguage('en', false);
    expect(phaseWords({ phase: 'pass1', facts: { tickets: 150, engineers: 10 } })).toBe('Choosing the tickets · 150 tickets, 10 engineers');
    expect(phaseWords({ phase: 'pass2', facts: { tickets: 150, engineers: 10, passes: 1, placed: 140 } }))
      .toBe('Placing late tickets · 140 of 150 tickets placed after 1 pass');
    expect(phaseWords({ phase: 'search', facts: { tickets: 150, passes: 2, placed: 150, travel_km: 612.4 } }))
      .toBe('Shortening the routes · 150 of 150 tickets placed after 2 passes · 612.4 km');
    expect(phaseWords({ phase: 'explain', facts: { tickets: 150, passes: 2, placed: 150, travel_km: 551.2, search_from_km: 612.4 } }))
      .toBe('Explaining what is left · 150 of 150 tickets placed after 2 passes · routes 10 % shorter (612.4 → 551.2 km)');
    expect(phaseWords({})).toBe('Planning…');
    setLanguage('zh-CN', false);
    expect(phaseWords({ phase: 'search', facts: { tickets: 150, passes: 2, placed: 150, travel_km: 612.4 } }))
      .toBe('缩短路线 · 经过 2 轮已安排 150/150 个工单 · 612.4 公里');
    setLanguage('en', false);
  });

  it('names a plan already running: whose, since when, how far', () => {
    setLanguage('en', false);
    const at = new Date(2026, 11, 3, 12, 5).toISOString();
    const now = new Date(2026, 11, 3, 12, 9).getTime();
    const running = { job_id: 'optimize-1', started_by: 'Dana Dispatcher', started_at: at, progress: { phase: 'search', percent: 40 } };
    expect(runningWords(running, now)).toBe("Dana Dispatcher's plan, started at 12:05 PM, is still running (Shortening the routes · 40 % of the time). Wait for it, or cancel it.");
    expect(runningWords({ job_id: 'optimize-1' }, now)).toBe("Another dispatcher's plan is still waiting for a worker. Wait for it, or cancel it.");
    setLanguage('zh-CN', false);
    expect(runningWords(running, now)).toBe('Dana Dispatcher 于 12:05 开始的方案仍在运行（缩短路线 · 已用时间 40%）。请等待它完成，或取消它。');
    setLanguage('en', false);
  });
});
