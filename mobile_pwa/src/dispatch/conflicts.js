// Sync conflicts for the dispatcher: the open ones (GET /api/v1/conflicts) and their
// resolution. The choices offered are exactly the ones the API accepts, read from its own
// OpenAPI document (ConflictResolveIn.resolution), so the console cannot drift from it.
import { h } from '../lib/dom.js';
import { listOf } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { api, say, st, ticketById, ui } from './state.js';

export const CONFLICTS_URL = '/api/v1/conflicts';
let resolutions = null; // from the OpenAPI document, fetched once

/** The resolutions the API accepts, from its OpenAPI schema. */
export async function loadResolutions() {
  if (resolutions) return resolutions;
  const spec = await (await fetch('/api/v1/openapi.json')).json();
  resolutions = spec.components.schemas.ConflictResolveIn.properties.resolution.enum;
  return resolutions;
}

export async function loadConflicts() {
  try {
    await loadResolutions();
    st.conflicts = listOf(await api.get(`${CONFLICTS_URL}?status=open&page_size=100`));
    st.conflictsError = '';
  } catch (err) {
    // Never "No conflicts" when we could not look: say so.
    st.conflictsError = err.message;
  }
}

async function resolve(c, select) {
  try {
    await api.post(`${CONFLICTS_URL}/${c.id}/resolve`, { resolution: select.value });
    await loadConflicts();
  } catch (err) { say(err.message); }
  ui.drawPanel();
}

function item(c) {
  const tk = ticketById(c.ticket_id);
  const select = h('select.resolution', (resolutions || []).map((r) => h('option', { value: r }, t(`res_${r}`))));
  return h('li.conflict', { dataset: { conflict: c.id } },
    h('strong', String(c.kind || 'conflict').replaceAll('_', ' ')), ' ',
    tk ? `${tk.number} ${tk.title}` : (c.ticket_id || '').slice(0, 8),
    h('div.muted', c.message || ''),
    h('div.resolve-row', select, h('button.secondary.resolve', { onclick: () => resolve(c, select) }, t('resolve'))));
}

export function conflictsView() {
  const list = st.conflicts;
  return [
    h('h2', `${t('conflicts')} (${list.length})`),
    st.conflictsError ? h('p.error', { id: 'conflicts-error' }, `${t('conflicts_unavailable')}: ${st.conflictsError}`) : null,
    h('ul.tl', { id: 'conflicts' }, list.length ? list.map(item)
      : st.conflictsError ? null : h('li.muted', t('no_conflicts'))),
  ];
}
