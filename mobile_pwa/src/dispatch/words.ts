// Candidates, plan changes and unassigned tickets in words a dispatcher reads at a glance
// ("4 min drive · free now · 1 open job · skills ✓"); the scoring numbers stay one click away.
import { t } from '../lib/i18n.js';
import { duration } from './sla.js';
import type { Candidate } from './state.js';

const REASONS = ['rejected', 'status:off_duty', 'off_shift', 'not_in_region', 'at_capacity', 'too_far',
  'outside_all_regions', 'shift', 'capacity', 'no_candidate', 'needs_dispatch', 'pinned'];

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

/** A queued plan's progress in words ("Shortening the routes · 45 % of the time"). */
export function progressWords(p: { phase?: string; percent?: number }): string {
  const phase = p.phase && PHASES.includes(p.phase) ? t(`phase_${p.phase}`) : t('planning');
  return t('plan_progress', { phase, percent: Math.max(0, Math.min(100, Math.round(p.percent ?? 0))) });
}
