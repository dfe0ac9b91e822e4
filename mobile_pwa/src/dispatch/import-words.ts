// The Imports screen's words and verdicts (imports.ts), apart from the screen so they can be
// tested without a browser or a login.
import type { components } from '../lib/api.js';
import { t } from '../lib/i18n.js';

export type ImportState = components['schemas']['ImportOut'];

export const EXPORTABLE = ['customers', 'sites', 'assets', 'parts', 'van_stock', 'tickets'] as const;
/** Every word the screen says (both languages have each: test/imports.test.ts). */
export const IMPORT_WORDS = ['imports', 'im_title', 'im_entity', 'im_file', 'im_check', 'im_columns', 'im_row', 'im_column',
  'im_problem', 'im_invalid', 'im_ready', 'im_apply', 'im_applying', 'im_starting', 'im_rows', 'im_progress', 'im_result',
  'im_failed', 'im_more', 'im_export', ...EXPORTABLE.map((e) => `im_x_${e}`)];

/** Whether following an apply stops: it ended one way or the other. */
export const settled = (s: Pick<ImportState, 'status'>): boolean => s.status !== 'applying';

/** The outcome in words: rows inserted, updated and left as they were. */
export function resultWords(s: Pick<ImportState, 'result'>): string {
  const r = s.result;
  return r ? t('im_result', { inserted: r.inserted, updated: r.updated, unchanged: r.unchanged }) : '';
}
