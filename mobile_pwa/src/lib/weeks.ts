// Weeks, days and durations as the time sheets show them (the phone's My time and the
// console's time sheets): local calendar days, Monday first, and hours and minutes.

import { t } from './i18n.js';

/** Monday..Sunday around `now`, as local YYYY-MM-DD. */
export function weekOf(now: Date): { from: string; to: string } {
  const monday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - ((now.getDay() + 6) % 7));
  const sunday = new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + 6);
  return { from: localDate(monday), to: localDate(sunday) };
}

export function localDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** "1 h 05 min" / "25 min" from seconds, in the app's language ("1 小时 05 分钟"). */
export function duration(seconds: number): string {
  const min = Math.round(seconds / 60);
  const hours = Math.floor(min / 60);
  return hours ? t('d_h_min', { h: hours, m: String(min % 60).padStart(2, '0') }) : t('d_min', { m: min });
}

/** The local HH:MM of an ISO time, for a time input. */
export function hhmm(iso: string): string {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** `iso`'s local day at the time `value` (HH:MM), as ISO. */
export function atTime(iso: string, value: string): string {
  const [hh, mm] = value.split(':').map(Number);
  const d = new Date(iso);
  d.setHours(hh ?? 0, mm ?? 0, 0, 0);
  return d.toISOString();
}
