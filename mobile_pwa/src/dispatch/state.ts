// The console's shared state and typed API client, and the redraw hooks main.ts fills in: the
// panels (plan, conflicts) live in their own modules and ask for a redraw through ``ui``.
import { createApi, webStorageTokens, type components, type Tokens } from '../lib/api.js';

type Schemas = components['schemas'];
export type Feature = Schemas['MapFeatureOut'];
export type TicketProps = Schemas['TicketFeatureOut'];
export type EngineerProps = Schemas['EngineerFeatureOut'];
export type Candidate = Schemas['DispatchCandidateOut'];
export type Conflict = Schemas['ConflictOut'];
export type Plan = Schemas['PlanOut'];
export type Change = Schemas['ChangeOut'];
export type Unassigned = Schemas['UnassignedOut'];
export type AppConfig = Schemas['AppConfigOut'];

/** A feature whose properties are of one kind (the map answer mixes three). */
export type Of<P> = Feature & { properties: P };

export interface Message {
  text: string;
  cls?: string;
  data?: Record<string, string>;
}

export const TOKENS_KEY = 'fieldops.console.tokens';
const stored = webStorageTokens(localStorage, TOKENS_KEY);

export const st = {
  tokens: stored.get() as Tokens | null,
  features: [] as Feature[],
  selected: null as string | null,
  candidates: null as Candidate[] | null,
  conflicts: [] as Conflict[],
  conflictsError: '',
  filters: { status: 'open', priority: '' } as Record<'status' | 'priority', string>,
  message: null as Message | null,
  config: {} as Partial<AppConfig>,
  details: new Set<string>(), // candidates whose numbers are shown
  plan: null as Plan | null,
  planDay: '',
  unpin: new Set<string>(),
  planBusy: null as 'preview' | 'apply' | null,
  planError: '',
  planJob: '', // the queued plan being waited for (cancellable)
  planProgress: null as Schemas['ProgressOut'] | null,
  planRunning: '', // another plan of the scope, which refused ours (409 plan_running)
};

export const ui = {
  renderAll: (): void => {},
  drawPanel: (): void => {},
  drawMap: (): void => {},
  refresh: async (): Promise<void> => {},
};

export const api = createApi({
  getTokens: () => (st.tokens = stored.get() as Tokens | null),
  setTokens: (tk) => { st.tokens = tk; stored.set(tk); },
  onAuthLost: () => { st.tokens = null; localStorage.removeItem(TOKENS_KEY); ui.renderAll(); },
});

export const tickets = (): Of<TicketProps>[] =>
  st.features.filter((f): f is Of<TicketProps> => f.properties?.kind === 'ticket');
export const engineers = (): Of<EngineerProps>[] =>
  st.features.filter((f): f is Of<EngineerProps> => f.properties?.kind === 'engineer');
export const regions = (): Feature[] => st.features.filter((f) => f.properties?.kind === 'region');
export const ticketById = (id: string | null | undefined): TicketProps | undefined =>
  tickets().find((f) => f.properties.id === id)?.properties;
export const engineerName = (id: string | null | undefined): string =>
  engineers().find((f) => f.properties.id === id)?.properties.name || (id ? id.slice(0, 8) : '—');

/** A feature's point as [lon, lat], or null (regions are polygons). */
export function pointOf(f: Feature | undefined): [number, number] | null {
  const g = f?.geometry;
  if (!g || g.type !== 'Point') return null;
  const [lon, lat] = g.coordinates;
  return lon === undefined || lat === undefined ? null : [lon, lat];
}

/** A message line above the panel: text, and an optional class and data attributes. */
export function say(text: string, extra: Omit<Message, 'text'> = {}): void {
  st.message = text ? { text, ...extra } : null;
}
