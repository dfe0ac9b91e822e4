// Words for times and counts on the engineer's screen: SLA countdowns ("in 2 h 5 min",
// "68 h overdue"), "Last sync" relative to now in local terms, and counts with the plural
// the language needs ("1 conflict"). Intl does the language rules; the words are i18n keys.

import { currentLanguage, t } from '../lib/i18n.js';

function span(ms: number): string {
  const mins = Math.round(Math.abs(ms) / 60000);
  if (mins < 60) return t('n_min', { n: mins });
  const hours = Math.floor(mins / 60);
  const rest = mins % 60;
  // Past a day the minutes are noise: "68 h overdue".
  return rest && hours < 24 ? `${t('n_h', { n: hours })} ${t('n_min', { n: rest })}` : t('n_h', { n: hours });
}

/** `{text, late}` for a deadline: "in 2 h 5 min", or "68 h overdue" (never a minus sign). */
export function dueText(iso: string, now: number = Date.now()): { text: string; late: boolean } {
  const ms = new Date(iso).getTime() - now;
  return ms >= 0 ? { text: t('due_in', { t: span(ms) }), late: false } : { text: t('overdue', { t: span(ms) }), late: true };
}

/** "just now", "2 minutes ago", "yesterday" in the app's language; "never" without a time. */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return t('never');
  const secs = Math.round((new Date(iso).getTime() - now) / 1000);
  if (Math.abs(secs) < 45) return t('just_now');
  const fmt = new Intl.RelativeTimeFormat(currentLanguage(), { numeric: 'auto' });
  const mins = Math.round(secs / 60);
  if (Math.abs(mins) < 60) return fmt.format(mins, 'minute');
  const hours = Math.round(mins / 60);
  if (Math.abs(hours) < 24) return fmt.format(hours, 'hour');
  return fmt.format(Math.round(hours / 24), 'day');
}

/** "1 conflict" / "3 conflicts": keys `<key>_one`, `<key>_other` (Intl.PluralRules). */
export function countLabel(n: number, key: string): string {
  const form = new Intl.PluralRules(currentLanguage()).select(n);
  const own = t(`${key}_${form}`);
  return (own === `${key}_${form}` ? t(`${key}_other`) : own).replace('{n}', String(n));
}

/** A translated label for a code (`prefix_code`), or `fallback` when there is none, so an
 * internal code (`note.add`, `evidence_after_reassign`) never reaches the screen. */
export function codeLabel(prefix: string, code: string | null | undefined, fallback = ''): string {
  if (!code) return fallback;
  const key = `${prefix}_${String(code).replace(/\./g, '_')}`;
  const text = t(key);
  return text === key ? fallback : text;
}
