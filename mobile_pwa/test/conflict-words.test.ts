// Conflicts and refusals said from the server's codes (lib/conflict-words.ts), issue #12.
import { afterEach, describe, expect, test } from 'vitest';
import { changedFields, conflictText } from '../src/lib/conflict-words.js';
import { setLanguage } from '../src/lib/i18n.js';

afterEach(() => { setLanguage('en', false); });

describe('conflictText', () => {
  test('a known kind is said in the chosen language, without the English message', () => {
    setLanguage('zh-CN', false);
    const said = conflictText('server_owned_field', 'priority on ticket T-1 are set by dispatch', 'dispatcher');
    expect(said.text).toBe('工程师修改了只能由调度设置的字段。');
    expect(said.raw).toBe('');
    expect(conflictText('invalid_args', 'invalid arguments for note.add').text).toContain('服务器无法读取');
  });

  test('an unknown code: a generic phrase, and the raw message for a muted line', () => {
    setLanguage('zh-CN', false);
    const said = conflictText('brand_new_kind', 'something new happened');
    expect(said.text).toBe('服务器未按原样应用此更改。');
    expect(said.raw).toBe('something new happened');
    expect(conflictText(undefined, '').raw).toBe('');
  });
});

describe('changedFields', () => {
  test('each edited field with both values, named in the language', () => {
    setLanguage('zh-CN', false);
    expect(changedFields({ changes: { priority: 'P1', location: { type: 'Point' } } }, { priority: 'P3', version: 4 }))
      .toEqual(['优先级：工程师 P1，服务器 P3', '位置：工程师 …，服务器 —']);
    setLanguage('en', false);
    expect(changedFields({ body: 'new' }, { body: 'old', version: 2 })).toEqual(['note text: engineer new, server old']);
    expect(changedFields({ changes: { colour: 'red' } }, {})).toEqual(['another field: engineer red, server —']);
    expect(changedFields(null, null)).toEqual([]);
  });
});
