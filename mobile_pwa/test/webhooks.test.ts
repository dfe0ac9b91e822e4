// The console's Webhooks screen: its words in both languages, event types named, a
// subscription's state said, response excerpts kept to one short line.
import { describe, expect, it } from 'vitest';
import { setLanguage, t } from '../src/lib/i18n.js';
import { eventWords, excerpt, subscriptionWords, WEBHOOK_WORDS } from '../src/dispatch/webhook-words.js';

const TYPES = ['ticket.created', 'ticket.status_changed', 'ticket.assigned', 'ticket.sla_at_risk', 'ticket.sla_breached',
  'ticket.completed', 'ticket.rated', 'parts.consumed', 'conflict.raised', 'plan.applied'];

describe('webhook words', () => {
  it('every word and every event type exists in English and Chinese', () => {
    for (const lang of ['en', 'zh-CN']) {
      setLanguage(lang, false);
      for (const key of WEBHOOK_WORDS) expect(t(key), `${lang} ${key}`).not.toBe(key);
      for (const type of TYPES) expect(eventWords(type), `${lang} ${type}`).not.toBe(type);
    }
    setLanguage('zh-CN', false);
    expect(eventWords('parts.consumed')).toBe('备件消耗');
    expect(t('wh_ds_failed')).toBe('失败');
    setLanguage('en', false);
  });

  it('an unknown event type is shown as the API names it', () => {
    setLanguage('en', false);
    expect(eventWords('invoice.paid')).toBe('invoice.paid');
    expect(eventWords('ticket.completed')).toBe('ticket completed');
  });

  it("says a subscription's state: on, its failures, or off and why", () => {
    setLanguage('en', false);
    expect(subscriptionWords({ active: true, consecutive_failures: 0, disabled_reason: null })).toBe('on');
    expect(subscriptionWords({ active: true, consecutive_failures: 3, disabled_reason: null })).toBe('on · 3 failed attempts in a row');
    expect(subscriptionWords({ active: false, consecutive_failures: 12, disabled_reason: '12 attempts in a row failed' }))
      .toBe('off: 12 attempts in a row failed');
    setLanguage('zh-CN', false);
    expect(subscriptionWords({ active: false, consecutive_failures: 0, disabled_reason: null })).toBe('已停用');
    setLanguage('en', false);
  });

  it('keeps a response excerpt to one line of at most max characters', () => {
    expect(excerpt('{"ok":\n  true}')).toBe('{"ok": true}');
    expect(excerpt('x'.repeat(500), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(excerpt(null)).toBe('');
  });
});
