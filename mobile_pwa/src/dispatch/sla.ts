// SLA deadlines in words. A ticket nobody has accepted yet is late when nobody *responds* in
// time, so it counts down to respond_by; once accepted, to resolve_by. Past the deadline the
// console says "68 h overdue" (a signed "-68 h 47 min" read as a typo to dispatchers).
import { currentLanguage, t } from '../lib/i18n.js';

const UNACCEPTED = ['new', 'assigned'];

/** What the SLA clock needs of a ticket (the map's ticket properties). */
export interface SlaFacts {
  status: string;
  respond_by?: string | null;
  responded_at?: string | null;
  resolve_by?: string | null;
}

export interface Deadline {
  kind: 'respond' | 'resolve';
  at: string | null | undefined;
}

/** Which clock runs for a ticket: respond until accepted, then resolve. */
export function deadline(p: SlaFacts): Deadline {
  const respond = !p.responded_at && UNACCEPTED.includes(p.status) && p.respond_by;
  return respond ? { kind: 'respond', at: p.respond_by } : { kind: 'resolve', at: p.resolve_by };
}

/** "2 h 5 min" / "45 min"; ``hoursOnly`` drops the minutes from an hour on. */
export function duration(mins: number, hoursOnly = false): string {
  const m = Math.max(0, Math.round(mins));
  if (m < 60) return t('d_min', { m });
  const hrs = Math.floor(m / 60);
  return hoursOnly || m % 60 === 0 ? t('d_h', { h: hrs }) : t('d_h_min', { h: hrs, m: m % 60 });
}

export interface Relative {
  overdue: boolean;
  text: string;
}

/** "in 2 h 5 min" before the deadline, "68 h overdue" after it. */
export function relative(iso: string, now: number = Date.now()): Relative {
  const mins = (new Date(iso).getTime() - now) / 60000;
  if (mins >= 0) return { overdue: false, text: t('due_in', { t: duration(mins) }) };
  return { overdue: true, text: t('overdue', { t: duration(-mins, -mins >= 60) }) };
}

/** A deadline as a short local time, with the date when it is not today ("Mon, Nov 30,
 * 03:28 PM"; weekday and day alone read as "30 Mon" in English). */
export function when(iso: string, now: number = Date.now()): string {
  const d = new Date(iso);
  const sameDay = d.toDateString() === new Date(now).toDateString();
  const opts: Intl.DateTimeFormatOptions = sameDay
    ? { hour: '2-digit', minute: '2-digit' }
    : { weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
  return new Intl.DateTimeFormat(currentLanguage(), opts).format(d);
}

/** "respond by Thu 3, 14:30 · 68 h overdue" for a ticket. */
export function slaWords(p: SlaFacts, now: number = Date.now(), long = false): Relative {
  const { kind, at } = deadline(p);
  if (!at) return { text: '', overdue: false };
  const rel = relative(at, now);
  const label = t(long ? `sla_${kind}_by_long` : `sla_${kind}_by`);
  return { text: `${label} ${when(at, now)} · ${rel.text}`, overdue: rel.overdue };
}
