// The console's Rules screen: its words in both languages, conditions read from the form as
// the API takes them, and the API's errors found by their path.
import { describe, expect, it } from 'vitest';
import { setLanguage, t } from '../src/lib/i18n.js';
import {
  actionWords, conditionBody, conditionDraft, errorsAt, fieldWords, opWords, RULE_WORDS,
} from '../src/dispatch/rule-words.js';

const FIELDS = ['ticket.priority', 'ticket.status', 'ticket.sla_state', 'ticket.source', 'ticket.title',
  'ticket.required_skills', 'ticket.assignee_id', 'ticket.job_type_id', 'ticket.rating', 'asset.id', 'asset.model',
  'site.id', 'customer.id', 'region.id', 'time_of_day'];
const OPS = ['eq', 'ne', 'in', 'not_in', 'contains', 'not_contains', 'is_set', 'is_not_set', 'lt', 'lte', 'gt', 'gte',
  'is_empty', 'is_not_empty', 'any_of', 'between', 'not_between'];
const ACTIONS = ['set_priority', 'require_skill', 'route_to_region', 'auto_dispatch', 'notify', 'add_note',
  'send_webhook', 'send_email', 'escalate'];

describe('rule words', () => {
  it('every word, field, operator and action exists in English and Chinese', () => {
    for (const lang of ['en', 'zh-CN']) {
      setLanguage(lang, false);
      for (const key of RULE_WORDS) expect(t(key), `${lang} ${key}`).not.toBe(key);
      // each has its own key (an English word may be the API's name itself: ``contains``)
      for (const [prefix, names] of [['ru_f_', FIELDS], ['ru_op_', OPS], ['ru_a_', ACTIONS]] as const) {
        for (const name of names) {
          const key = `${prefix}${name.replace(/\./g, '_')}`;
          expect(t(key), `${lang} ${key}`).not.toBe(key);
        }
      }
    }
    setLanguage('zh-CN', false);
    expect(actionWords('escalate')).toBe('升级给某人');
    setLanguage('en', false);
    expect(fieldWords('ticket.colour')).toBe('ticket.colour');
    expect(fieldWords('asset.model')).toBe('asset model');
    expect(opWords('not_in')).toBe('is none of');
  });
});

describe('conditions from the form', () => {
  const draft = { field: 'ticket.priority', op: 'eq', value: ' P1 ', from: '', until: '', zone: '' };
  it('reads a single value, a list, a number, none, and a time span', () => {
    expect(conditionBody('enum', draft)).toEqual({ field: 'ticket.priority', op: 'eq', value: 'P1' });
    expect(conditionBody('enum', { ...draft, op: 'in', value: 'P1, P2,' })).toEqual({ field: 'ticket.priority', op: 'in', value: ['P1', 'P2'] });
    expect(conditionBody('number', { ...draft, field: 'ticket.rating', op: 'lt', value: '3' })).toEqual({ field: 'ticket.rating', op: 'lt', value: 3 });
    expect(conditionBody('id', { ...draft, field: 'asset.id', op: 'is_set' })).toEqual({ field: 'asset.id', op: 'is_set' });
    expect(conditionBody('time', { ...draft, field: 'time_of_day', op: 'between', from: '22:00', until: '06:00', zone: 'Europe/Berlin' }))
      .toEqual({ field: 'time_of_day', op: 'between', value: ['22:00', '06:00'], zone: 'Europe/Berlin' });
  });
  it('gives the form back what it saved', () => {
    expect(conditionDraft({ field: 'ticket.priority', op: 'in', value: ['P1', 'P2'] }).value).toBe('P1, P2');
    const night = conditionDraft({ field: 'time_of_day', op: 'between', value: ['22:00', '06:00'], zone: 'Asia/Shanghai' });
    expect([night.from, night.until, night.zone]).toEqual(['22:00', '06:00', 'Asia/Shanghai']);
  });
});

describe('errors by path', () => {
  it('finds the messages for a path and below it, not for its neighbours', () => {
    const errors = { 'conditions.1.op': ['unknown operator'], 'conditions.10.value': ['x'], 'actions.0.priority': ['required'] };
    expect(errorsAt(errors, 'conditions.1.op')).toEqual(['unknown operator']);
    expect(errorsAt(errors, 'conditions.1')).toEqual(['unknown operator']);
    expect(errorsAt(errors, 'actions.0')).toEqual(['required']);
    expect(errorsAt(null, 'name')).toEqual([]);
  });
});
