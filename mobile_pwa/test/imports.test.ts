// The console's Imports screen: its words in both languages, the outcome of an apply said in
// words, and when following an apply stops.
import { describe, expect, it } from 'vitest';
import { setLanguage, t } from '../src/lib/i18n.js';
import { EXPORTABLE, exportAsJob, IMPORT_WORDS, resultWords, settled, type ImportState } from '../src/dispatch/import-words.js';

const applied = (result: ImportState['result']): ImportState => ({
  id: 'i1', entity: 'assets', filename: 'assets.xlsx', format: 'xlsx', status: 'applied', rows_total: 3,
  error_count: 0, errors: [], result, failure: null, progress: null,
  created_at: '2026-12-03T22:00:00Z', updated_at: '2026-12-03T22:00:01Z',
});

describe('imports screen', () => {
  it('every word exists in English and Chinese', () => {
    for (const lang of ['en', 'zh-CN']) {
      setLanguage(lang, false);
      for (const key of IMPORT_WORDS) expect(t(key), `${lang} ${key}`).not.toBe(key);
    }
    setLanguage('en', false);
  });

  it('says what an apply changed', () => {
    setLanguage('en', false);
    expect(resultWords(applied({ inserted: 2, updated: 1, unchanged: 0 })))
      .toBe('Applied: 2 new, 1 updated, 0 unchanged.');
    expect(resultWords(applied(null))).toBe('');
    setLanguage('zh-CN', false);
    expect(resultWords(applied({ inserted: 0, updated: 0, unchanged: 3 }))).toBe('已应用：新增 0，更新 0，未变 3。');
    setLanguage('en', false);
  });

  it('follows an apply until it is applied or failed', () => {
    expect(settled({ status: 'applying' })).toBe(false);
    for (const status of ['applied', 'failed', 'ready', 'invalid']) expect(settled({ status })).toBe(true);
  });

  it('exports engineers, and tickets over a long period (or all of them) as a job', () => {
    expect(EXPORTABLE).toContain('engineers');
    expect(exportAsJob('engineers', '', '')).toBe(false);
    expect(exportAsJob('tickets', '', '')).toBe(true);
    expect(exportAsJob('tickets', '2026-01-01', '2026-01-31')).toBe(false);
    expect(exportAsJob('tickets', '2026-01-01', '2026-02-01')).toBe(true);
  });
});
