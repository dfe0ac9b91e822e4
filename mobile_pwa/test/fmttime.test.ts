// Dates and times on the engineer's screen follow the app's language, not the browser's:
// a tester saw "12/3/26, 3:04 PM" in the Chinese app (fmtTime formatted with the default locale).
import { describe, expect, it } from 'vitest';
import { fmtDay, fmtTime } from '../src/lib/dom.js';
import { setLanguage } from '../src/lib/i18n.js';

const ISO = '2026-12-03T15:04:00Z';

describe('fmtTime', () => {
  it('formats with the selected language: zh-CN in Chinese date order and 24-hour time', () => {
    setLanguage('zh-CN', false);
    const zh = fmtTime(ISO);
    expect(zh).toBe(new Date(ISO).toLocaleString('zh-CN', { dateStyle: 'short', timeStyle: 'short' }));
    expect(zh).toMatch(/^2026\/12\/\d{1,2} \d{2}:\d{2}$/); // year first, no AM/PM
    expect(zh).not.toMatch(/AM|PM|上午|下午/);
    setLanguage('en', false);
    expect(fmtTime(ISO)).toBe(new Date(ISO).toLocaleString('en', { dateStyle: 'short', timeStyle: 'short' }));
  });

  it('is empty without a time', () => {
    expect(fmtTime(null)).toBe('');
  });
});

describe('fmtDay', () => {
  it('names a time sheet day in the selected language (was the browser default in both apps)', () => {
    setLanguage('zh-CN', false);
    expect(fmtDay('2026-12-03')).toBe('12月3日周四');
    setLanguage('en', false);
    expect(fmtDay('2026-12-03')).toBe('Thu, Dec 3');
  });
});
