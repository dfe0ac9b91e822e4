// Engineer app entry: boot from IndexedDB (works with no network), route by hash, keep the
// header's online state and pending count current, and sync on open, reconnect, focus, timer
// and button (the service worker syncs on background-sync events, and tells the page when it did).

import './style.css';
import { type components, createApi, HttpError } from '../lib/api.js';
import { changedFields, conflictText } from '../lib/conflict-words.js';
import { distanceKm, fmtTime, h, live, patch } from '../lib/dom.js';
import { currentLanguage, LANGS, setLanguage, t } from '../lib/i18n.js';
import { getMeta, openDb, setMeta } from './db.js';
import { renderDetail } from './detail.js';
import { startLocationReports } from './location.js';
import { createTimesheet } from './timesheet.js';
import { mutationText } from './outbox.js';
import { startPush, stopPush } from './push.js';
import { buildView, type ConflictItem, conflictList } from './replay.js';
import { OPEN } from './states.js';
import { setPasswordScreen, setupToken } from './setpassword.js';
import { createSync } from './sync.js';
import { PHOTO_CACHE } from './thumbs.js';
import { codeLabel, countLabel, dueText, relativeTime } from './timefmt.js';
import { sharedTokens } from './tokens.js';
import type { App, ConflictRow, Mutation, Ticket, User } from './types.js';
import { refreshWeek, type StoredWeek, storedWeek, WEEK_KEY, weekCard } from './week.js';

declare global {
  interface Window {
    /** Read by the browser tests and the PWA benchmark. */
    __fieldops?: { queue: number; pending: number; ready: boolean };
  }
}

const SYNC_INTERVAL_MS = 30_000;
const root = document.getElementById('root') as HTMLElement;
const db = openDb();

const api = createApi({
  getTokens: () => sharedTokens(db, app),
  setTokens: async (tokens) => {
    app.tokens = tokens;
    await setMeta(db, 'tokens', tokens);
  },
  onAuthLost: () => {
    // Keep the queue: after logging in again the same mutations are pushed.
    app.tokens = null;
    setMeta(db, 'tokens', null);
    render();
  },
});

let refreshQueued = false;
let week: StoredWeek | null = null; // the engineer's week as last fetched (week.ts)
const sync = createSync({ db, api, onChange: () => scheduleRefresh() });

const app: App = {
  db,
  api,
  sync,
  user: null,
  tokens: null,
  confirmed: {},
  queue: [],
  blobs: [],
  view: buildView({}, []),
  online: navigator.onLine,
  position: null,
  drafts: {},
  ackedConflicts: new Set(), // server conflicts acknowledged on this phone (meta 'acked_conflicts')
  lastSyncStored: null,
  push: null,
  mutate: async (name, args) => {
    // Remember which job this was: after a reassignment the job leaves the synced state, and the
    // conflicts list must still say which job the refused work belonged to.
    const id = typeof args.ticket_id === 'string' ? args.ticket_id : undefined;
    const tk = id ? app.view.tickets[id] : undefined;
    const label = tk ? `${tk.number ? `#${tk.number} ` : ''}${tk.title || ''}`.trim() : undefined;
    const rec = await sync.enqueue(name, args, label ? { ticket_label: label } : {});
    requestBackgroundSync();
    if (app.online) sync.sync();
    return rec;
  },
};

const timesheet = createTimesheet(app, () => render());

function scheduleRefresh(): void {
  if (refreshQueued) return;
  refreshQueued = true;
  queueMicrotask(async () => {
    refreshQueued = false;
    await reload();
    render();
  });
}

async function reload(): Promise<void> {
  const [confirmed, queue, blobs, acked, lastSync] = await Promise.all([
    sync.loadConfirmed(),
    db.queue.toArray(),
    db.blobs.toArray(),
    getMeta<string[]>(db, 'acked_conflicts', []),
    getMeta<string>(db, 'last_sync'),
  ]);
  week = await storedWeek(app);
  Object.assign(app, { confirmed, queue, blobs, view: buildView(confirmed, queue),
    ackedConflicts: new Set(acked), lastSyncStored: lastSync });
  window.__fieldops = { queue: queue.length, pending: pendingTotal(), ready: true };
}

function pendingTotal(): number {
  return (
    app.queue.filter((m) => m.status === 'pending').length +
    app.blobs.filter((b) => !b.uploaded).length
  );
}

function requestBackgroundSync(): void {
  navigator.serviceWorker?.ready
    .then((reg) => (reg as ServiceWorkerRegistration & { sync?: { register: (tag: string) => Promise<void> } }).sync?.register('fieldops-sync'))
    .catch(() => {});
}

function header(): HTMLElement {
  const pending = pendingTotal();
  const conflicts = conflictList(app.confirmed, app.queue, app.ackedConflicts).filter((c) => !c.acknowledged).length;
  const syncLabel = sync.state.syncing ? t('syncing') : t('sync_now');
  return h(
    'header.bar',
    h('h1', h('a', { href: '#/' }, t('app_title'))),
    h(`span.badge.${app.online ? 'online' : 'offline'}`, { id: 'net-state' }, t(app.online ? 'online' : 'offline')),
    h('span.badge.pending', { id: 'pending-count', title: t('pending') }, `${pending} ${t('pending')}`),
    conflicts ? h('a.badge.conflict', { href: '#/conflicts', id: 'conflict-count' }, countLabel(conflicts, 'conflicts')) : null,
    app.tokens
      ? h('button', { id: 'sync-now', onclick: () => sync.sync(), disabled: sync.state.syncing || !app.online,
          title: syncLabel, 'aria-label': syncLabel }, '⟳')
      : null,
    h('select', { id: 'lang', 'aria-label': t('language'), onchange: (e: Event) => { setLanguage((e.target as HTMLSelectElement).value); render(); } },
      LANGS.map((l) => h('option', { value: l, selected: l === currentLanguage() }, l === 'en' ? 'EN' : '中文'))),
  );
}

type LoginOut = components['schemas']['LoginOut'];

let loginNotice = ''; // said once above the login form (after a password was set)

function loginScreen(error?: string): HTMLElement {
  const email = h('input', { type: 'email', name: 'email', id: 'login-email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', id: 'login-password', autocomplete: 'current-password', required: true });
  const msg = h('p.error', { id: 'login-msg' }, error || '');
  const form = h('form.card.login', {
    onsubmit: async (e: Event) => {
      e.preventDefault();
      try {
        const body = (await api.post('/api/v1/auth/login', { email: live(email).value, password: live(password).value }, { retry: false })) as LoginOut;
        app.tokens = { access_token: body.access_token, refresh_token: body.refresh_token };
        app.user = (body.user ?? null) as User | null;
        await setMeta(db, 'tokens', app.tokens);
        await setMeta(db, 'user', app.user);
        render();
        sync.sync();
        refreshPush();
        void updateWeek(true);
        // Ask once that the browser never evicts the queue and the cached jobs under storage
        // pressure (granted silently for an installed PWA in Chromium).
        if (!(await getMeta(db, 'persist_asked'))) {
          await setMeta(db, 'persist_asked', true);
          navigator.storage?.persist?.().catch(() => {});
        }
      } catch (err) {
        live(msg).textContent = err instanceof HttpError ? `${t('login_failed')}: ${err.message}` : t('login_offline');
      }
    },
  },
    h('h2', t('login')),
    loginNotice ? h('p', { id: 'login-notice', role: 'status' }, loginNotice) : null,
    h('label', { for: 'login-email' }, t('email')), email,
    h('label', { for: 'login-password' }, t('password')), password,
    h('p', h('button', { type: 'submit', id: 'login-btn' }, t('login'))),
    msg,
  );
  return form;
}

function myTickets(): Ticket[] {
  const uid = app.user?.id;
  return Object.values(app.view.tickets).filter(
    (tk) => OPEN.includes(tk.status) && (!uid || !tk.assignee_id || tk.assignee_id === uid),
  );
}

function jobCard(tk: Ticket): HTMLElement {
  const due = tk.resolve_by ? dueText(tk.resolve_by) : null;
  const coords = tk.location?.coordinates;
  const km = app.position && coords ? distanceKm(app.position, coords) : null;
  return h('a.card.job', { href: `#/job/${tk.id}`, dataset: { ticket: tk.id } },
    h('div.row',
      h('strong', `${tk.number ? `#${tk.number} ` : ''}${tk.title || ''}`),
      h(`span.badge.${tk.priority || 'P3'}`, tk.priority || ''),
    ),
    h('div.row',
      h('span.badge.status', { dataset: { status: tk.status } }, t(`s_${tk.status}`)),
      tk._pending ? h('span.badge.pending', t('queued')) : null,
      due ? h(`span.sla${due.late ? '.late' : '.muted'}`, `${t('sla_resolve')}: ${due.text}`) : null,
      km != null ? h('span.muted', `${km.toFixed(1)} ${t('km')}`) : null,
    ),
    h('div.muted', tk.site?.name || ''),
  );
}

function jobsScreen(): HTMLElement {
  const tickets = myTickets();
  const endOfDay = new Date();
  endOfDay.setHours(23, 59, 59, 999);
  const when = (tk: Ticket): Date => new Date(tk.eta || tk.respond_by || tk.created_at || 0);
  const byTime = (a: Ticket, b: Ticket): number => when(a).getTime() - when(b).getTime();
  const today = tickets.filter((tk) => when(tk) <= endOfDay).sort(byTime);
  const upcoming = tickets.filter((tk) => when(tk) > endOfDay).sort(byTime);
  return h('div', { id: 'jobs' },
    h('h2', t('my_jobs'), ' ', h('a.badge.status', { href: '#/time', id: 'my-time' }, t('ts_title'))),
    app.tokens && app.push === 'ask'
      ? h('p', h('button.secondary.small', { id: 'enable-push', onclick: () => refreshPush(true) }, t('enable_push')))
      : null,
    !tickets.length ? h('p.muted', t('no_jobs')) : null,
    today.length ? [h('h3', t('today')), today.map(jobCard)] : null,
    upcoming.length ? [h('h3', t('upcoming')), upcoming.map(jobCard)] : null,
    weekCard(app, week),
    lastSyncLine(),
    app.tokens ? h('button.secondary.small', { onclick: logout }, t('logout')) : null,
  );
}

/** "Last sync: 2 minutes ago", the local date and time on hover. */
function lastSyncLine(): HTMLElement {
  const at = sync.state.lastSync || app.lastSyncStored;
  return h('p.muted', { id: 'last-sync', title: at ? fmtTime(at) : '' }, `${t('last_sync')}: ${relativeTime(at)}`);
}

async function acknowledge(c: ConflictItem): Promise<void> {
  if (c.source === 'queue') await db.queue.update((c.row as Mutation).seq, { acknowledged: true });
  else await setMeta(db, 'acked_conflicts', [...app.ackedConflicts, c.key]);
  scheduleRefresh();
}

/** A mutation the server will not take: its words stay on the phone, to copy elsewhere. */
function notSynced(m: Mutation): HTMLElement {
  const text = mutationText(m, t);
  const copy = async (ev: Event) => {
    const btn = ev.currentTarget as HTMLButtonElement;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = h('textarea', text);
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    btn.textContent = t('copied');
  };
  return h('div.not-synced',
    h('p', h('strong', `${t('not_synced')}: `), h('span.not-synced-text', text)),
    h('button.small.copy-text', { onclick: copy }, t('copy_text')));
}

/** What happened, from the conflict's or refusal's code in the app's language; the server's
 * English message only in a muted line when the code is unknown. */
function conflictLines(c: ConflictItem): HTMLElement[] {
  const said = conflictText(c.kind, c.message);
  const row = c.source === 'server' ? (c.row as ConflictRow) : null;
  return [h('div', said.text), ...changedFields(row?.mine, row?.theirs).map((line) => h('div.conflict-field', line)),
    ...(said.raw ? [h('div.muted.conflict-raw', said.raw)] : [])];
}

function conflictsScreen(): HTMLElement {
  const items = conflictList(app.confirmed, app.queue, app.ackedConflicts);
  const labels = Object.fromEntries(
    app.queue.filter((m) => m.ticket_label).map((m) => [m.args?.ticket_id, m.ticket_label]),
  );
  const ticketLabel = (c: ConflictItem): string => {
    const id = c.ticket_id || '';
    const tk = app.view.tickets[id] || app.confirmed.tickets?.[id];
    if (tk) return `#${tk.number || ''} ${tk.title || ''}`;
    return labels[id] || id;
  };
  return h('div', { id: 'conflicts' },
    h('p', h('a', { href: '#/' }, `← ${t('back')}`)),
    h('h2', t('conflicts')),
    !items.length ? h('p.muted', t('no_conflicts')) : null,
    h('ul.list', items.map((c) => {
      return h('li.conflict-item', { dataset: { mutation: c.mutation_id || '', name: c.name || '', source: c.source } },
        h('div.row', h(`span.badge.${c.status}`, t(c.status)), h('strong', codeLabel('m', c.name, t('m_other'))),
          h('span.muted.ticket', ticketLabel(c))),
        conflictLines(c),
        c.source === 'queue' && c.status === 'rejected' ? notSynced(c.row as Mutation) : null,
        c.resolution ? h('div.muted', `→ ${codeLabel('r', c.resolution, '')}`) : null,
        !c.acknowledged ? h('button.small.secondary.ack', { onclick: () => acknowledge(c) }, t('dismiss')) : null,
      );
    })),
  );
}

async function logout(): Promise<void> {
  // Logging out ends the session on the server and forgets the tokens; unsent work stays
  // queued for the next login. While the tokens still work, the phone's push registration goes too.
  if (app.online) await stopPush(app);
  if (app.online) await api.logout(); // ends the session server-side: its tokens stop working
  app.push = null;
  app.tokens = null;
  await globalThis.caches?.delete(PHOTO_CACHE); // the next engineer on this phone sees only theirs
  await setMeta(db, 'tokens', null);
  await setMeta(db, WEEK_KEY, null);
  week = null;
  render();
}

function render(): void {
  const route = location.hash.replace(/^#/, '') || '/';
  let screen: HTMLElement;
  const setup = setupToken(route);
  if (setup) {
    screen = setPasswordScreen(setup, (path, body, opts) => api.post(path, body, opts), () => {
      history.replaceState(null, '', '#/'); // the spent token leaves the address bar
      loginNotice = t('setpw_done');
      render();
    });
  } else if (!app.tokens) screen = loginScreen();
  else if (route.startsWith('/job/')) screen = renderDetail(app, route.slice(5), render);
  else if (route === '/conflicts') screen = conflictsScreen();
  else if (route === '/time') screen = timesheet.screen();
  else screen = jobsScreen();
  // In place: a render that a sync or a thumbnail triggers must not eat a tap, a key press or an
  // edit under way (see patch). An element moved in by reference loses the focus: give it back.
  const focused = document.activeElement?.id;
  patch(root, header(), h('main', screen));
  if (focused && document.activeElement?.id !== focused) document.getElementById(focused)?.focus();
}

/** Fetch the week (when online and due, see week.ts) and show it. */
async function updateWeek(force = false): Promise<void> {
  if (await refreshWeek(app, week, force)) {
    week = await storedWeek(app);
    render();
  }
}

function setOnline(on: boolean): void {
  app.online = on;
  render();
  if (on && app.tokens) sync.sync();
  if (on) refreshPush();
  if (on) void updateWeek();
}

/** Register for push if the engineer allowed it; `ask` only from the button's tap. The
 * outcome 'ask' puts an "Enable notifications" button on the job list. */
async function refreshPush(ask = false): Promise<void> {
  const before = app.push;
  app.push = await startPush(app, { ask });
  if (app.push !== before) render();
}

async function boot(): Promise<void> {
  app.tokens = await getMeta(db, 'tokens');
  app.user = await getMeta<User>(db, 'user');
  await reload();
  render();
  window.addEventListener('hashchange', render);
  window.addEventListener('online', () => setOnline(true));
  window.addEventListener('offline', () => setOnline(false));
  // Sync whenever the engineer comes back to the app, not only on a timer.
  const syncIfActive = (): void => {
    if (app.online && app.tokens) sync.sync();
    void updateWeek();
  };
  window.addEventListener('focus', syncIfActive);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && syncIfActive());
  setInterval(syncIfActive, SYNC_INTERVAL_MS);
  // The service worker synced in the background: show what it brought.
  navigator.serviceWorker?.addEventListener('message', (e) => {
    if (e.data?.type === 'synced') scheduleRefresh();
  });
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch(() => {});
  }
  startLocationReports(app);
  refreshPush();
  syncIfActive();
  document.body.dataset.booted = String(performance.now());
}

boot();
