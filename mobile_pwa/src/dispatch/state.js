// The console's shared state and API client, and the redraw hooks main.js fills in: the
// panels (plan, conflicts) live in their own modules and ask for a redraw through ``ui``.
import { createApi, webStorageTokens } from '../lib/api.js';

export const TOKENS_KEY = 'fieldops.console.tokens';

export const st = {
  tokens: JSON.parse(localStorage.getItem(TOKENS_KEY) || 'null'),
  features: [], selected: null, candidates: null, conflicts: [],
  filters: { status: 'open', priority: '' }, message: null, config: {},
  details: new Set(), // candidates whose numbers are shown
  plan: null, planDay: '', unpin: new Set(), planBusy: null, planError: '',
};

export const ui = { renderAll: () => {}, drawPanel: () => {}, drawMap: () => {}, refresh: async () => {} };

const stored = webStorageTokens(localStorage, TOKENS_KEY);
export const api = createApi({
  getTokens: () => (st.tokens = stored.get()),
  setTokens: (tk) => { st.tokens = tk; stored.set(tk); },
  onAuthLost: () => { st.tokens = null; localStorage.removeItem(TOKENS_KEY); ui.renderAll(); },
});

const kind = (f) => f.properties?.kind;
export const tickets = () => st.features.filter((f) => kind(f) === 'ticket');
export const engineers = () => st.features.filter((f) => kind(f) === 'engineer');
export const regions = () => st.features.filter((f) => kind(f) === 'region');
export const ticketById = (id) => tickets().find((f) => f.properties.id === id)?.properties;
export const engineerName = (id) =>
  engineers().find((f) => f.properties.id === id)?.properties.name || (id ? id.slice(0, 8) : '—');

/** A message line above the panel: text, and an optional class and data attributes. */
export function say(text, extra = {}) { st.message = text ? { text, ...extra } : null; }
