// The console's API keys screen: its words in both languages, every scope the API knows
// offered and named, a key's state said.
import { describe, expect, it } from 'vitest';
import { setLanguage, t } from '../src/lib/i18n.js';
import { APIKEY_WORDS, keyState, SCOPES, scopeWords } from '../src/dispatch/apikey-words.js';

describe('API key words', () => {
  it('every word and every scope exists in English and Chinese', () => {
    for (const lang of ['en', 'zh-CN']) {
      setLanguage(lang, false);
      for (const key of APIKEY_WORDS) expect(t(key), `${lang} ${key}`).not.toBe(key);
      for (const scope of SCOPES) expect(scopeWords(scope), `${lang} ${scope}`).not.toBe(scope);
    }
    setLanguage('zh-CN', false);
    expect(scopeWords('tickets:write')).toBe('工单: 写入');
    setLanguage('en', false);
    expect(scopeWords('webhooks:admin')).toBe('Webhooks: admin');
  });

  it('offers each scope once and shows an unknown one as the API names it', () => {
    expect(new Set(SCOPES).size).toBe(SCOPES.length);
    expect(SCOPES.length).toBe(12);
    expect(scopeWords('invoices:read')).toBe('invoices:read');
  });

  it("says a key's state", () => {
    setLanguage('en', false);
    expect(keyState({ active: true, revoked_at: null }, () => 'x')).toBe('active');
    expect(keyState({ active: false, revoked_at: '2026-12-03T10:00:00Z' }, () => 'Dec 3')).toBe('revoked Dec 3');
  });
});
