// The Insights screen's period arithmetic and number formatting, pure (test/insights.test.ts).
// A period is half-open [from, to) in UTC instants, as the reports API counts tickets created in
// it (docs/kpis.md); "the previous period" is the same length ending where this one starts, so
// a tile's change compares like with like.
import { duration } from '../sla.js';

export type Preset = '7' | '30' | '90' | 'custom';

export interface Period {
  from: Date;
  to: Date;
}

const DAY_MS = 86_400_000;
/** The reports API answers at most 366 days per request. */
export const MAX_DAYS = 366;

/** The last ``days`` whole UTC days up to and including today: [today - (days-1), tomorrow). */
export function lastDays(days: number, now: Date): Period {
  const tomorrow = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return { from: new Date(tomorrow - days * DAY_MS), to: new Date(tomorrow) };
}

/** A custom period from two ``YYYY-MM-DD`` dates, both days included; null when invalid
 * (unparseable, reversed, or longer than the API allows). */
export function customPeriod(fromDay: string, toDay: string): Period | null {
  const parse = (s: string): number | null => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return null;
    const ms = Date.parse(`${s}T00:00:00Z`);
    return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== s ? null : ms;
  };
  const a = parse(fromDay);
  const b = parse(toDay);
  if (a === null || b === null || b < a) return null;
  const period = { from: new Date(a), to: new Date(b + DAY_MS) };
  return spanDays(period) > MAX_DAYS ? null : period;
}

export const spanDays = (p: Period): number => (p.to.getTime() - p.from.getTime()) / DAY_MS;

/** The period of the same length just before ``p``. */
export function previousPeriod(p: Period): Period {
  const len = p.to.getTime() - p.from.getTime();
  return { from: new Date(p.from.getTime() - len), to: new Date(p.from.getTime()) };
}

/** The time bucket a trend chart of ``p`` uses: days up to a month, then weeks. */
export const trendBucket = (p: Period): 'day' | 'week' => (spanDays(p) <= 31 ? 'day' : 'week');

/** ``YYYY-MM-DD`` of an instant (UTC), for date inputs and labels. */
export const isoDay = (d: Date): string => d.toISOString().slice(0, 10);

/** The instant range of a time-bucket key (``YYYY-MM-DD`` of its first day), clipped to ``p``:
 * the cohort behind one point of a trend chart. */
export function bucketPeriod(key: string, bucket: 'day' | 'week' | 'month', p: Period): Period {
  const start = new Date(`${key}T00:00:00Z`);
  const end = new Date(start);
  if (bucket === 'day') end.setUTCDate(end.getUTCDate() + 1);
  else if (bucket === 'week') end.setUTCDate(end.getUTCDate() + 7);
  else end.setUTCMonth(end.getUTCMonth() + 1);
  return {
    from: new Date(Math.max(start.getTime(), p.from.getTime())),
    to: new Date(Math.min(end.getTime(), p.to.getTime())),
  };
}

export type Better = 'up' | 'down';

export interface Delta {
  /** The change as shown: "+3", "−2.5 pts", "+12 %", "±0" or "" when there is nothing to compare. */
  text: string;
  /** good: moved the way that is better; bad: the other way; flat: unchanged or unknown. */
  tone: 'good' | 'bad' | 'flat';
}

const MINUS = '\u2212';

function signed(n: number, digits: number): string {
  const r = Number(n.toFixed(digits));
  if (r === 0) return '±0';
  return `${r > 0 ? '+' : MINUS}${Math.abs(r).toLocaleString('en', { maximumFractionDigits: digits })}`;
}

/** The change from ``previous`` to ``current``. Percentages change in points (``pts``);
 * counts and minutes by their difference. */
export function delta(current: number | null, previous: number | null, kind: 'pct' | 'count' | 'min', better: Better): Delta {
  if (current === null || previous === null) return { text: '', tone: 'flat' };
  const diff = current - previous;
  const digits = kind === 'count' ? 0 : 1;
  const text = signed(diff, digits);
  const rounded = Number(diff.toFixed(digits));
  if (rounded === 0) return { text, tone: 'flat' };
  const up = rounded > 0;
  return { text, tone: up === (better === 'up') ? 'good' : 'bad' };
}

/** A KPI value as shown on a tile: "85.5 %", "1,204", "2 h 5 min" (in the screen's
 * language, through ``duration``), or "—" when there is none. */
export function formatValue(value: number | null, kind: 'pct' | 'count' | 'min', lang = 'en'): string {
  if (value === null || Number.isNaN(value)) return '—';
  if (kind === 'pct') return `${value.toLocaleString(lang, { maximumFractionDigits: 1 })} %`;
  if (kind === 'count') return value.toLocaleString(lang);
  return duration(value);
}
