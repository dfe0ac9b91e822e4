import { describe, expect, it } from 'vitest';
import { setLanguage } from '../src/lib/i18n.js';
import { retryText } from '../src/customer/retry.js';

describe("a refused report's retry time", () => {
  it('says minutes, not thousands of seconds, for an hourly limit', () => {
    setLanguage('en', false);
    expect(retryText('3387')).toBe('Too many reports from here. Please try again in about 57 minutes.');
    expect(retryText('30')).toBe('Too many reports from here. Please try again in 30 seconds.');
    expect(retryText(null)).toContain('60 seconds');
    setLanguage('zh-CN', false);
    expect(retryText('3387')).toBe('提交过于频繁，请在约 57 分钟后重试。');
    setLanguage('en', false);
  });
});
