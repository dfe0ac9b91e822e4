// The Insights screen's KPI tiles as data: one descriptor per number. A new KPI (first-time
// fix, CSAT, ...) is one more entry here (and its words in words.ts): which report answers it
// (``source``, a path of /api/v1/reports/), how to read its value from the ungrouped answer,
// how to show it, which way is better, and which tickets stand behind it (the ticket list's
// drill-down filters, GET /api/v1/tickets; docs/kpis.md). Pure: tested in test/insights.test.ts.
import type { components } from '../../lib/api.js';
import type { Better } from './period.js';

type S = components['schemas'];
export type SlaGroup = S['SlaGroupOut'];
export type TimesGroup = S['TimesGroupOut'];
export type BacklogGroup = S['BacklogGroupOut'];
export type UnassignedReason = S['UnassignedReasonOut'];

/** The reports a tile may read, by source name; each answer's groups (ungrouped: one, or none
 * when the period has no tickets; the backlog: one per open status). */
export interface Answers {
  sla?: SlaGroup[];
  times?: TimesGroup[];
  backlog?: BacklogGroup[];
  [source: string]: unknown[] | undefined;
}

export type Kind = 'pct' | 'count' | 'min';

export interface Kpi {
  /** Stable id: the tile's ``data-kpi`` and its words ``k_<id>``. */
  id: string;
  source: 'sla' | 'times' | 'backlog' | (string & {});
  kind: Kind;
  better: Better | 'none';
  value: (a: Answers) => number | null;
  /** What the number is made of ("17 of 20 due"), when it is a ratio. */
  parts?: (a: Answers) => { n: number; of: number } | null;
  /** The ticket list's extra filters that list the tickets behind the number. */
  drill: Record<string, string>;
}

export const OPEN = ['new', 'assigned', 'accepted', 'en_route', 'on_site', 'in_progress', 'on_hold'];

const one = <T>(groups: T[] | undefined): T | undefined => groups?.[0];
const sla = (a: Answers): SlaGroup | undefined => one(a.sla);
const times = (a: Answers): TimesGroup | undefined => one(a.times);

function clock(name: 'respond' | 'resolve'): Kpi {
  return {
    id: `${name}_met`, source: 'sla', kind: 'pct', better: 'up',
    value: (a) => sla(a)?.[name].met_pct ?? null,
    parts: (a) => { const c = sla(a)?.[name]; return c ? { n: c.met, of: c.due } : null; },
    drill: { sla: `${name}_due` },
  };
}

type Timed = 'to_assign' | 'to_accept' | 'to_arrive' | 'to_complete';
const REACHED: Record<Timed, Record<string, string>> = {
  to_assign: { reached: 'assign' },
  to_accept: { reached: 'accept' },
  to_arrive: { reached: 'arrive' },
  to_complete: { reached: 'complete', status: 'completed,closed' },
};

function time(name: Timed, stat: 'median_min' | 'p90_min'): Kpi {
  return {
    id: `${name}_${stat === 'median_min' ? 'median' : 'p90'}`, source: 'times', kind: 'min', better: 'down',
    value: (a) => times(a)?.[name][stat] ?? null,
    drill: REACHED[name],
  };
}

export const KPIS: Kpi[] = [
  clock('respond'),
  clock('resolve'),
  { id: 'at_risk', source: 'sla', kind: 'count', better: 'down', value: (a) => (a.sla ? sla(a)?.at_risk ?? 0 : null), drill: { sla: 'at_risk' } },
  { id: 'breached', source: 'sla', kind: 'count', better: 'down', value: (a) => (a.sla ? sla(a)?.breached ?? 0 : null), drill: { sla: 'breached' } },
  { id: 'tickets', source: 'sla', kind: 'count', better: 'none', value: (a) => (a.sla ? sla(a)?.tickets ?? 0 : null), drill: {} },
  { id: 'backlog', source: 'backlog', kind: 'count', better: 'down',
    value: (a) => (a.backlog ? a.backlog.reduce((n, g) => n + g.total, 0) : null), drill: { status: OPEN.join(',') } },
  time('to_arrive', 'median_min'),
  time('to_arrive', 'p90_min'),
  time('to_complete', 'median_min'),
  time('to_complete', 'p90_min'),
  time('to_assign', 'median_min'),
  time('to_accept', 'median_min'),
];

/** The report sources the tiles read (each fetched once per period). */
export const sourcesOf = (kpis: Kpi[]): string[] => [...new Set(kpis.map((k) => k.source))];

export interface Filters {
  region_id: string;
  engineer_id: string;
  priority: string;
  /** The tickets' current status: one, or several comma-separated (any matches); optional. */
  status?: string;
}

/** The report query for a period and the screen's filters (empty filters left out). */
export function reportQuery(from: Date, to: Date, f: Filters, groupBy = 'none'): Record<string, string> {
  const q: Record<string, string> = { from: from.toISOString(), to: to.toISOString(), group_by: groupBy };
  if (f.region_id) q.region_id = f.region_id;
  if (f.engineer_id) q.engineer_id = f.engineer_id;
  if (f.priority) q.priority = f.priority;
  if (f.status) q.status = f.status;
  return q;
}

/** The ticket list query behind a number: the report's cohort (created in the period, the same
 * region, engineer and priority) and what the number counts. A group's key narrows it further
 * (``engineer`` null: unassigned). */
export function drillQuery(from: Date, to: Date, f: Filters, extra: Record<string, string>,
  group?: { by: string; key: string | null }): Record<string, string> {
  const q: Record<string, string> = { created_from: from.toISOString(), created_to: to.toISOString(), ...extra };
  // The screen's status filter and a number's own statuses: the tickets in both (none in
  // common: an empty period, so the list is empty as the number is).
  if (f.status) {
    const common = extra.status ? both(extra.status, f.status) : f.status;
    if (common) q.status = common; else q.created_to = q.created_from as string;
  }
  if (f.region_id) q.region_id = f.region_id;
  if (f.engineer_id) q.assignee_id = f.engineer_id;
  if (f.priority) q.priority = f.priority;
  if (group?.by === 'priority' && group.key) q.priority = group.key;
  if (group?.by === 'region') { if (group.key) q.region_id = group.key; else q.unrouted = 'true'; }
  if (group?.by === 'engineer') { if (group.key) q.assignee_id = group.key; else q.unassigned = 'true'; }
  if (group?.by === 'status' && group.key) q.status = group.key;
  return q;
}

/** The statuses in both comma-separated lists ('' when they share none). */
function both(a: string, b: string): string {
  const mine = new Set(b.split(','));
  return a.split(',').filter((x) => mine.has(x)).join(',');
}
