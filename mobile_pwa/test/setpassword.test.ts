// The engineer app's set-password page: which routes carry a set-up token, and its words in
// both languages.
import { describe, expect, it } from 'vitest';
import { setupToken } from '../src/app/setpassword.js';
import { setLanguage, t } from '../src/lib/i18n.js';

describe('set-password page', () => {
  it('reads the token of its route only', () => {
    expect(setupToken('/set-password/abc-DEF_123')).toBe('abc-DEF_123');
    expect(setupToken('/set-password/abc?x=1')).toBe('abc');
    expect(setupToken('/set-password/')).toBeNull();
    expect(setupToken('/job/1')).toBeNull();
    expect(setupToken('/')).toBeNull();
  });

  it('has every word in English and Chinese', () => {
    const words = ['setpw_title', 'setpw_hint', 'setpw_new', 'setpw_again', 'setpw_save', 'setpw_mismatch', 'setpw_failed', 'setpw_done'];
    for (const lang of ['en', 'zh-CN']) {
      setLanguage(lang, false);
      for (const key of words) expect(t(key), `${lang} ${key}`).not.toBe(key);
    }
    setLanguage('en', false);
  });
});
