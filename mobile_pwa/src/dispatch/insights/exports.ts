// The Insights screen's exports (docs/kpis.md, "Exports"), the pure part: which reports can be
// exported, when an export runs as a job (long periods: the file is made by a worker while a
// progress bar shows rows written of rows to write) instead of downloading in the request, and
// the progress bar's numbers. Tested in test/insights.test.ts.
import type { components } from '../../lib/api.js';

export type ExportState = components['schemas']['ExportStateOut'];
export type Progress = NonNullable<ExportState['progress']>;

export const EXPORT_REPORTS = ['sla', 'times', 'backlog', 'first-fix', 'workload', 'customers', 'parts'] as const;
export type ExportReport = (typeof EXPORT_REPORTS)[number];
export const FORMATS = ['csv', 'xlsx'] as const;
/** Periods longer than this many days are exported by a job with a progress bar. */
export const JOB_MIN_DAYS = 31;

/** Whether an export of a period of ``days`` days runs as a job. */
export const asJob = (days: number): boolean => days > JOB_MIN_DAYS;

/** The progress bar's ARIA numbers: indeterminate (no ``now``) while the rows are computed. */
export function bar(p: Progress | null | undefined): { now: number | null; done: number; total: number | null } {
  if (!p) return { now: null, done: 0, total: null };
  if (p.total === null || p.total === undefined) return { now: p.phase === 'done' ? 100 : null, done: p.done, total: null };
  return { now: Math.max(0, Math.min(100, Math.round(p.percent))), done: p.done, total: p.total };
}

/** The export query: the report query plus the format (the same filters as the screen). */
export const exportQuery = (query: Record<string, string>, format: string): Record<string, string> => ({ ...query, format });

/** Whether polling should stop: the job ended one way or the other. */
export const ended = (s: Pick<ExportState, 'status'>): boolean =>
  ['finished', 'failed', 'stopped', 'canceled'].includes(s.status);
