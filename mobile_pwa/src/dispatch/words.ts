// Candidates, plan changes and unassigned tickets in words a dispatcher reads at a glance
// ("4 min drive · free now · 1 open job · skills ✓"); the scoring numbers stay one click away.
import type { components } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { duration, when } from './sla.js';
import type { Candidate } from './state.js';

const REASONS = ['rejected', 'status:off_duty', 'off_shift', 'not_in_region', 'at_capacity', 'shift_full', 'too_far', 'outside_window',
  'outside_all_regions', 'shift', 'capacity', 'window', 'no_candidate', 'needs_dispatch', 'pinned'];

/** A hard-rule or plan reason code in words ("missing_skill:hvac" → "skill hvac missing"). */
export function reasonWords(code: string): string {
  const [head, arg] = String(code).split(/:(.*)/s);
  if (head === 'missing_skill') return t('r_missing_skill', { skill: (arg || '').replaceAll('+', ' + ') });
  if (REASONS.includes(code)) return t(`r_${code.replace(':', '_')}`);
  return code;
}

/** The phrases of one candidate (a verdict from /candidates). */
export function candidateWords(c: Candidate): string[] {
  const out: string[] = [];
  const travel = c.terms?.travel?.value ?? c.travel_min;
  if (typeof travel === 'number') out.push(t('w_drive', { d: duration(travel) }));
  const start = c.terms?.earliest_start?.value;
  if (typeof start === 'number' && typeof travel === 'number') {
    const wait = start - travel; // queue ahead of this job
    out.push(wait < 1 ? t('w_free_now') : t('w_free_in', { d: duration(wait) }));
  }
  if (typeof c.open_jobs === 'number') out.push(t(c.open_jobs === 1 ? 'w_open_job' : 'w_open_jobs', { n: c.open_jobs }));
  const reasons = c.reasons || [];
  const missing = reasons.filter((r) => r.startsWith('missing_skill'));
  out.push(missing.length ? missing.map(reasonWords).join(', ') : t('w_skills_ok'));
  for (const r of reasons) if (!r.startsWith('missing_skill')) out.push(reasonWords(r));
  if ((c.sla_lateness ?? 0) > 0) out.push(t('w_would_be_late'));
  return out;
}

const fmt = (v: number | undefined): string => (typeof v === 'number' ? (Math.round(v * 100) / 100).toString() : '');

/** The raw numbers behind the words, for the details toggle. */
export function candidateNumbers(c: Candidate): string[] {
  const lines = [`${t('score')} ${fmt(c.score)} · sla_lateness ${fmt(c.sla_lateness)} · travel_min ${fmt(c.travel_min)} · distance_m ${fmt(c.distance_m)}`];
  for (const [k, v] of Object.entries(c.terms || {})) {
    lines.push(`${k}: value ${fmt(v.value)} · grade ${fmt(v.grade)} · weight ${fmt(v.weight)}`);
  }
  return lines;
}

const PHASES = ['pass1', 'pass2', 'search', 'explain', 'done'];

/** What a queued plan reports (GET /dispatch/optimize/{job_id}: ``progress``). */
export type Progress = components['schemas']['ProgressOut'];
type Facts = components['schemas']['ProgressFactsOut'];

const phaseName = (p: Progress): string => (p.phase && PHASES.includes(p.phase) ? t(`phase_${p.phase}`) : t('planning'));
const km = (v: number): string => String(Math.round(v * 10) / 10);

/** The share of the plan's time budget used so far ("45 % of the time"). */
export const shareWords = (p: Progress): string =>
  t('plan_share', { percent: Math.max(0, Math.min(100, Math.round(p.percent ?? 0))) });

/** A queued plan's progress in words ("Shortening the routes · 45 % of the time"). */
export function progressWords(p: Progress): string {
  return `${phaseName(p)} · ${shareWords(p)}`;
}

/** What the phase knows so far, in words: the size, then the tickets placed after the
 * passes, then the travel, and once the search is over what it gained. */
function factWords(f: Facts): string[] {
  const out: string[] = [];
  if (typeof f.placed === 'number' && typeof f.tickets === 'number') {
    const passes = f.passes ?? 1;
    out.push(t(passes === 1 ? 'plan_placed_one' : 'plan_placed_other', { placed: f.placed, tickets: f.tickets, passes }));
  } else if (typeof f.tickets === 'number') {
    out.push(t('plan_size', { tickets: f.tickets, engineers: f.engineers ?? 0 }));
  }
  if (typeof f.travel_km === 'number' && typeof f.search_from_km === 'number' && f.search_from_km > 0) {
    const pct = Math.round(100 * (1 - f.travel_km / f.search_from_km));
    out.push(t('plan_gain', { pct, from: km(f.search_from_km), to: km(f.travel_km) }));
  } else if (typeof f.travel_km === 'number') {
    out.push(`${km(f.travel_km)} ${t('km')}`);
  }
  return out;
}

/** The phase and what it knows, without the share of time: what the console's live region
 * announces ("Shortening the routes · 150 of 150 tickets placed after 2 passes · 612 km"). */
export function phaseWords(p: Progress): string {
  return [phaseName(p), ...factWords(p.facts || {})].join(' · ');
}

/** The 409 ``plan_running`` body: the plan holding the scope, whose and since when. */
export interface Running {
  job_id?: string;
  started_by?: string | null;
  started_at?: string | null;
  progress?: Progress | null;
}

/** Another plan of the same scope is running, in words: whose, since when, how far. */
export function runningWords(r: Running, now: number = Date.now()): string {
  const who = r.started_by || '';
  const vars = { who, at: r.started_at ? when(r.started_at, now) : '', how: r.progress ? progressWords(r.progress) : '' };
  const key = `plan_${r.progress ? 'running' : 'queued'}_${who ? 'by' : 'other'}`;
  return t(key, vars) + t('plan_running_what_now');
}
