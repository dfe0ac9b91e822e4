// The Imports screen's words and verdicts (imports.ts), apart from the screen so they can be
// tested without a browser or a login.
import type { components } from '../lib/api.js';
import { t } from '../lib/i18n.js';

export type ImportState = components['schemas']['ImportOut'];

export const EXPORTABLE = ['customers', 'sites', 'assets', 'parts', 'van_stock', 'engineers', 'tickets'] as const;
export type Exportable = (typeof EXPORTABLE)[number];
/** Every word the screen says (both languages have each: test/imports.test.ts). */
export const IMPORT_WORDS = ['imports', 'im_title', 'im_entity', 'im_file', 'im_check', 'im_columns', 'im_row', 'im_column',
  'im_problem', 'im_invalid', 'im_ready', 'im_apply', 'im_applying', 'im_starting', 'im_rows', 'im_progress', 'im_result',
  'im_failed', 'im_more', 'im_export', 'im_from', 'im_to', 'im_x_running', 'im_x_download', 'im_x_failed',
  ...EXPORTABLE.map((e) => `im_x_${e}`)];

/** Whether an export runs as a job with a progress bar: tickets over more than a month (or
 * all of them); the registers download in the request. ``from``/``to``: ISO days or ''. */
export function exportAsJob(entity: string, from: string, to: string, jobMinDays = 31): boolean {
  if (entity !== 'tickets') return false;
  if (!from || !to) return true;
  return (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1 > jobMinDays;
}

/** Whether following an apply stops: it ended one way or the other. */
export const settled = (s: Pick<ImportState, 'status'>): boolean => s.status !== 'applying';

/** The outcome in words: rows inserted, updated and left as they were. */
export function resultWords(s: Pick<ImportState, 'result'>): string {
  const r = s.result;
  return r ? t('im_result', { inserted: r.inserted, updated: r.updated, unchanged: r.unchanged }) : '';
}
