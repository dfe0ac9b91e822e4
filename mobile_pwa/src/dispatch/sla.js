// SLA deadlines in words. A ticket nobody has accepted yet is late when nobody *responds* in
// time, so it counts down to respond_by; once accepted, to resolve_by. Past the deadline the
// console says "68 h overdue" (a signed "-68 h 47 min" read as a typo to dispatchers).
import { currentLanguage, t } from '../lib/i18n.js';

const UNACCEPTED = ['new', 'assigned'];

/** Which clock runs for a ticket (map feature properties): respond until accepted. */
export function deadline(p) {
  const respond = !p.responded_at && UNACCEPTED.includes(p.status) && p.respond_by;
  return respond ? { kind: 'respond', at: p.respond_by } : { kind: 'resolve', at: p.resolve_by };
}

/** "2 h 5 min" / "45 min"; ``hoursOnly`` drops the minutes from an hour on. */
export function duration(mins, hoursOnly = false) {
  const m = Math.max(0, Math.round(mins));
  if (m < 60) return t('d_min', { m });
  const hrs = Math.floor(m / 60);
  return hoursOnly || m % 60 === 0 ? t('d_h', { h: hrs }) : t('d_h_min', { h: hrs, m: m % 60 });
}

/** "in 2 h 5 min" before the deadline, "68 h overdue" after it. */
export function relative(iso, now = Date.now()) {
  const mins = (new Date(iso).getTime() - now) / 60000;
  if (mins >= 0) return { overdue: false, text: t('due_in', { d: duration(mins) }) };
  return { overdue: true, text: t('overdue', { d: duration(-mins, -mins >= 60) }) };
}

/** A deadline as a short local time, with the weekday when it is not today. */
export function when(iso, now = Date.now()) {
  const d = new Date(iso);
  const sameDay = d.toDateString() === new Date(now).toDateString();
  const opts = sameDay ? { hour: '2-digit', minute: '2-digit' } : { weekday: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
  return new Intl.DateTimeFormat(currentLanguage(), opts).format(d);
}

/** "respond by Thu 3, 14:30 · 68 h overdue" for a ticket's properties. */
export function slaWords(p, now = Date.now(), long = false) {
  const { kind, at } = deadline(p);
  if (!at) return { text: '', overdue: false };
  const rel = relative(at, now);
  const label = t(long ? `sla_${kind}_by_long` : `sla_${kind}_by`);
  return { text: `${label} ${when(at, now)} · ${rel.text}`, overdue: rel.overdue };
}
