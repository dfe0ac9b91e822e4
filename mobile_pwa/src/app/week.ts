// The engineer's own week on the job list (issue #16): jobs done, hours, SLA met and rating
// from GET /api/v1/reports/me/week (the server answers only the caller's own numbers). The
// last answer is kept in IndexedDB (meta 'my_week') with when it was fetched and for whom, so
// offline the phone shows that week and its date instead of nothing; another engineer logging
// in on the phone never sees it (it is dropped on logout and ignored for another user).
import type { components } from '../lib/api.js';
import { ok } from '../lib/api.js';
import { fmtTime, h } from '../lib/dom.js';
import { currentLanguage, t } from '../lib/i18n.js';
import { getMeta, setMeta } from './db.js';
import type { App } from './types.js';

export type MyWeek = components['schemas']['MyWeekOut'];
export interface StoredWeek { user_id: string; fetched_at: string; week: MyWeek }

export const WEEK_KEY = 'my_week';
/** Fetched again at most this often while the app is open (the numbers move slowly). */
const STALE_MS = 5 * 60_000;

export const storedWeek = (app: App): Promise<StoredWeek | null> => getMeta<StoredWeek>(app.db, WEEK_KEY);

/** Fetch the week when online and the kept one is older than STALE_MS (or ``force``); keep
 * it. Returns true when a new one was stored. A failure keeps the last one. */
export async function refreshWeek(app: App, stored: StoredWeek | null, force = false): Promise<boolean> {
  const uid = app.user?.id;
  if (!app.online || !app.tokens || !uid) return false;
  if (!force && stored?.user_id === uid && Date.now() - Date.parse(stored.fetched_at) < STALE_MS) return false;
  try {
    const week = await ok(app.api.client.GET('/api/v1/reports/me/week'));
    await setMeta(app.db, WEEK_KEY, { user_id: uid, fetched_at: new Date().toISOString(), week });
    return true;
  } catch {
    return false;
  }
}

const hours = (min: number): string =>
  t('n_h', { n: (min / 60).toLocaleString(currentLanguage(), { maximumFractionDigits: 1 }) });

function stat(id: string, label: string, value: string, note: string): HTMLElement {
  return h('div.week-stat', { id },
    h('span.week-label', label), h('strong.week-value', value), h('span.week-note', note));
}

/** The card; ``stored`` is what IndexedDB holds (null: never fetched on this phone). */
export function weekCard(app: App, stored: StoredWeek | null): HTMLElement {
  const mine = stored && stored.user_id === app.user?.id ? stored : null;
  if (!mine) return h('section.card.week', { id: 'my-week', 'aria-labelledby': 'my-week-title' },
    h('h2', { id: 'my-week-title' }, t('my_week')), h('p.muted', t('wk_never')));
  const w = mine.week;
  const day = (iso: string, back = 0): string =>
    new Date(Date.parse(iso) - back).toLocaleDateString(currentLanguage(), { month: 'short', day: 'numeric', timeZone: w.timezone });
  const at = fmtTime(mine.fetched_at);
  return h('section.card.week', { id: 'my-week', 'aria-labelledby': 'my-week-title', dataset: { fetchedAt: mine.fetched_at } },
    h('h2', { id: 'my-week-title' }, t('my_week'), ' ', h('span.muted.week-range', t('wk_range', { from: day(w.week_start), to: day(w.week_end, 1) }))),
    h('div.week-grid',
      stat('wk-jobs', t('wk_jobs'), String(w.jobs_done), ''),
      stat('wk-hours', t('wk_hours'), hours(w.travel_min + w.on_site_min),
        t('wk_hours_split', { travel: hours(w.travel_min), site: hours(w.on_site_min) })),
      stat('wk-sla', t('wk_sla'), w.sla.met_pct === null ? t('wk_none') : `${w.sla.met_pct.toLocaleString(currentLanguage(), { maximumFractionDigits: 1 })} %`,
        t('wk_sla_of', { met: w.sla.met, due: w.sla.due })),
      stat('wk-rating', t('wk_rating'), w.rating.average === null ? t('wk_none') : `${w.rating.average.toLocaleString(currentLanguage(), { maximumFractionDigits: 1 })} ★`,
        t('wk_rated', { n: w.rating.rated }))),
    h(`p.muted.week-as-of${app.online ? '' : '.offline'}`, { id: 'week-as-of' }, app.online ? t('wk_as_of', { at }) : t('wk_offline', { at })));
}
