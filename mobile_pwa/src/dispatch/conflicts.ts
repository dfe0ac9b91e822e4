// Sync conflicts for the dispatcher: the open ones (GET /api/v1/conflicts), said in the
// console's language from their codes (lib/conflict-words.ts), and their resolution. The choices offered are exactly the ones the API accepts, read at run time from
// its own OpenAPI document (ConflictResolveIn.resolution), so the console cannot drift from it;
// the type of what is sent is the same schema's, from the generated types.
import { listOf, ok, type components } from '../lib/api.js';
import { changedFields, conflictText } from '../lib/conflict-words.js';
import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { api, say, st, ticketById, ui, type Conflict } from './state.js';

type Resolution = components['schemas']['ConflictResolveIn']['resolution'];
let resolutions: Resolution[] | null = null; // from the OpenAPI document, fetched once

interface OpenApiDoc {
  components: { schemas: { ConflictResolveIn: { properties: { resolution: { enum: Resolution[] } } } } };
}

/** The resolutions the API accepts, from its OpenAPI document. */
export async function loadResolutions(): Promise<Resolution[]> {
  if (resolutions) return resolutions;
  const spec = (await (await fetch('/api/v1/openapi.json')).json()) as OpenApiDoc;
  resolutions = spec.components.schemas.ConflictResolveIn.properties.resolution.enum;
  return resolutions;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function loadConflicts(): Promise<void> {
  try {
    await loadResolutions();
    const page = await ok(api.client.GET('/api/v1/conflicts', { params: { query: { status: 'open', page_size: 100 } } }));
    st.conflicts = listOf<Conflict>(page);
    st.conflictsError = '';
  } catch (err) {
    // Never "No conflicts" when we could not look: say so.
    st.conflictsError = message(err);
  }
}

async function resolve(c: Conflict, select: HTMLSelectElement): Promise<void> {
  if (!c.id) return;
  try {
    await ok(api.client.POST('/api/v1/conflicts/{conflict_id}/resolve', {
      params: { path: { conflict_id: c.id } },
      body: { resolution: select.value as Resolution, note: null },
    }));
    await loadConflicts();
  } catch (err) { say(message(err)); }
  ui.drawPanel();
}

function item(c: Conflict): HTMLElement {
  const tk = ticketById(c.ticket_id);
  const select = h('select.resolution', { 'aria-label': t('resolution') }, (resolutions || []).map((r) => h('option', { value: r }, t(`res_${r}`))));
  const said = conflictText(c.kind, c.message, 'dispatcher');
  return h('li.conflict', { dataset: { conflict: c.id, kind: c.kind } },
    h('strong', said.text), ' ',
    tk ? `${tk.number} ${tk.title}` : (c.ticket_id || '').slice(0, 8),
    changedFields(c.mine, c.theirs).map((line) => h('div.conflict-field', line)),
    said.raw ? h('div.muted.conflict-raw', said.raw) : null,
    h('div.resolve-row', select, h('button.secondary.resolve', { onclick: () => resolve(c, select) }, t('resolve'))));
}

export function conflictsView(): HTMLElement[] {
  const list = st.conflicts;
  const parts: HTMLElement[] = [h('h2', `${t('conflicts')} (${list.length})`)];
  if (st.conflictsError) parts.push(h('p.error', { id: 'conflicts-error' }, `${t('conflicts_unavailable')}: ${st.conflictsError}`));
  parts.push(h('ul.tl', { id: 'conflicts' }, list.length ? list.map(item)
    : st.conflictsError ? null : h('li.muted', t('no_conflicts'))));
  return parts;
}
