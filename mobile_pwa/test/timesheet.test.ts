// The phone's time-sheet helpers (src/app/timesheet.ts): the week it asks for, how durations
// and times read, and how a queued correction is laid over its entry until the server has it.
import { describe, expect, it } from 'vitest';
import { overlay } from '../src/app/timesheet.js';
import { setLanguage } from '../src/lib/i18n.js';
import { atTime, duration, hhmm, localDate, weekOf } from '../src/lib/weeks.js';
import type { Mutation } from '../src/app/types.js';
import type { components } from '../src/lib/api.js';

const entry: components['schemas']['EntryOut'] = {
  id: 'e1', kind: 'travel', ticket_id: 't1', ticket_number: 'T-001001',
  start: '2026-12-01T08:00:00Z', end: '2026-12-01T08:30:00Z', seconds: 1800,
  open: false, corrected: false, removed: false, reason: null,
};

const queued = (args: Record<string, unknown>, status: Mutation['status'] = 'pending') =>
  ({ seq: 1, id: 'm1', name: 'timesheet.correct', args, status }) as unknown as Mutation;

describe('time sheet helpers', () => {
  it('asks for Monday to Sunday of the current week', () => {
    expect(weekOf(new Date(2026, 11, 3, 15))).toEqual({ from: '2026-11-30', to: '2026-12-06' });
    expect(weekOf(new Date(2026, 11, 6, 23))).toEqual({ from: '2026-11-30', to: '2026-12-06' });
    expect(weekOf(new Date(2026, 11, 7, 0, 5))).toEqual({ from: '2026-12-07', to: '2026-12-13' });
    expect(localDate(new Date(2027, 0, 9))).toBe('2027-01-09');
  });

  it('reads durations in hours and minutes', () => {
    expect(duration(0)).toBe('0 min');
    expect(duration(25 * 60)).toBe('25 min');
    expect(duration(65 * 60)).toBe('1 h 05 min');
    expect(duration(8 * 3600 + 59)).toBe('8 h 01 min');
  });

  it('reads durations in the chosen language (the console time sheets said "16 min" in Chinese)', () => {
    setLanguage('zh-CN', false);
    try {
      expect(duration(16 * 60)).toBe('16 分钟');
      expect(duration(65 * 60)).toBe('1 小时 05 分钟');
    } finally {
      setLanguage('en', false);
    }
  });

  it('moves a time to another clock time on the same local day', () => {
    const moved = atTime(entry.start, '07:45');
    expect(hhmm(moved)).toBe('07:45');
    expect(new Date(moved).toDateString()).toBe(new Date(entry.start).toDateString());
  });

  it('lays the last queued correction over its entry, and only while it is queued', () => {
    const end = '2026-12-01T08:20:00Z';
    const shown = overlay(entry, [queued({ entry_id: 'e1', end, reason: 'late' })]);
    expect(shown).toMatchObject({ end, seconds: 1200, corrected: true, reason: 'late', _queued: true });
    expect(overlay(entry, [queued({ entry_id: 'e1', end }, 'acked')])).toBe(entry);
    expect(overlay(entry, [queued({ entry_id: 'other', end })])).toBe(entry);
    const removed = overlay(entry, [queued({ entry_id: 'e1', end }), queued({ entry_id: 'e1', removed: true })]);
    expect(removed).toMatchObject({ removed: true, end: entry.end });
  });
});
