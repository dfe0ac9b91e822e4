// Tiny DOM helpers: enough for three small UIs without a framework (keeps the engineer bundle
// far below its 150 KB budget and leaves nothing to learn).

/** A child: nodes and text; null, undefined and false are left out; arrays are flattened. */
export type Child = Node | string | number | null | undefined | false | Child[];
/** Attributes: `on*` functions become listeners, `dataset`/`style` objects are merged. */
export type Attrs = Record<string, unknown>;

/** h('button.primary', {onclick}, 'text', child) -> Element. Class shorthand after a dot. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K | `${K}.${string}`, attrs?: Attrs | Child, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs | Child, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs?: Attrs | Child, ...children: Child[]): HTMLElement {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  let props: Attrs | null = null;
  if (attrs && typeof attrs === 'object' && !(attrs instanceof Node) && !Array.isArray(attrs)) props = attrs;
  else children.unshift(attrs as Child);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k in el && typeof v !== 'string') (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace the content of ``el`` with ``children``. */
export function mount<E extends Element>(el: E, ...children: Child[]): E {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function $<E extends Element = HTMLElement>(sel: string, root: ParentNode = document): E | null {
  return root.querySelector<E>(sel);
}

/** "in 2 h 5 min" / "5 min ago": SLA countdowns without a date library. */
export function countdown(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '';
  const ms = new Date(iso).getTime() - now;
  const mins = Math.round(Math.abs(ms) / 60000);
  const text = mins >= 60 ? `${Math.floor(mins / 60)} h ${mins % 60} min` : `${mins} min`;
  return ms >= 0 ? text : `-${text}`;
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}

/** Great-circle distance in km between two [lon, lat] points. */
export function distanceKm(a: readonly number[] | null | undefined, b: readonly number[] | null | undefined): number | null {
  if (!a || !b) return null;
  const rad = (d: number) => (d * Math.PI) / 180;
  const [lonA = 0, latA = 0] = a;
  const [lonB = 0, latB = 0] = b;
  const dLat = rad(latB - latA);
  const dLon = rad(lonB - lonA);
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(rad(latA)) * Math.cos(rad(latB)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(s));
}

export function uuid(): string {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
