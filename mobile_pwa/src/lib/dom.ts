// Tiny DOM helpers: enough for three small UIs without a framework (keeps the engineer bundle
// far below its 150 KB budget and leaves nothing to learn). `patch` re-renders a screen in place
// (morphdom) so that what the person is doing survives a render that something else triggered.

import morphdom from 'morphdom';
import { currentLanguage } from './i18n.js';

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
    if (k.startsWith('on') && typeof v === 'function') listen(el, k.slice(2), v as EventListener);
    else if (k === 'value' && 'defaultValue' in el) (el as HTMLInputElement | HTMLTextAreaElement).defaultValue = String(v);
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

/** The handlers `h` attached, by element and event type. Each element gets one listener per
 * type that calls what is in here, so `patch` can hand a live element the handlers of the
 * fresh one it stands for (their closures hold the render's data, e.g. the ticket's version). */
const handlers = new WeakMap<Element, Map<string, EventListener>>();

function listen(el: Element, type: string, fn: EventListener): void {
  let byType = handlers.get(el);
  if (!byType) handlers.set(el, (byType = new Map()));
  if (!byType.has(type)) {
    const own = byType;
    el.addEventListener(type, (e) => own.get(type)?.call(el, e));
  }
  byType.set(type, fn);
}

function adoptHandlers(live: Element, fresh: Element): void {
  const theirs = handlers.get(fresh);
  const mine = handlers.get(live);
  for (const type of mine?.keys() ?? []) if (!theirs?.has(type)) mine?.delete(type);
  for (const [type, fn] of theirs ?? []) listen(live, type, fn);
}

type Control = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

function isControl(el: Element): el is Control {
  return el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement;
}

const ticks = (el: Control): boolean => el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio');

/** What a render asks of a control (its default), to tell "the screen changed it" from "the same again". */
function asks(el: Control): string {
  if (el instanceof HTMLSelectElement) return [...el.options].filter((o) => o.defaultSelected).map((o) => o.value).join('\n');
  return ticks(el) ? String((el as HTMLInputElement).defaultChecked) : el.defaultValue;
}

/** Controls the person changed by hand since a render last set them. */
const edited = new WeakSet<Element>();
/** What the last render asked of each live control. */
const asked = new WeakMap<Element, string>();
let watching = false;

function watchEdits(): void {
  if (watching) return;
  watching = true;
  const mark = (e: Event): void => { if (e.target instanceof Element && isControl(e.target)) edited.add(e.target); };
  document.addEventListener('input', mark, true);
  document.addEventListener('change', mark, true);
}

/** Keep what the person set on a live control (a ticked box, a typed number, a choice) unless
 * the new render asks for something different from the last one (a draft cleared by saving). */
function keepEdit(live: Control, fresh: Control): void {
  const wanted = asks(fresh);
  const before = asked.get(live) ?? asks(live);
  asked.set(live, wanted);
  if (!edited.has(live)) return;
  if (wanted !== before && live !== document.activeElement) {
    edited.delete(live);
    return;
  }
  if (fresh instanceof HTMLSelectElement) {
    for (const o of fresh.options) o.defaultSelected = o.value === live.value;
  } else if (ticks(fresh)) {
    (fresh as HTMLInputElement).checked = (live as HTMLInputElement).checked;
  } else if (!(fresh instanceof HTMLInputElement && fresh.type === 'file')) {
    // A file input's chosen files cannot be given to another element (setting its value
    // throws, which aborted the whole re-render while a photo was being read in); the live
    // one keeps them, and the picker clears itself when it is done.
    fresh.value = live.value;
  }
}

/**
 * Re-render ``el``'s content as ``children`` by changing only what differs (morphdom). A
 * re-render replaces nothing the person is using: the button under a finger or key that is
 * half pressed still gets its click, the focus stays, and a control they changed keeps its
 * value. Handlers move to the live elements; a handler therefore reads its neighbours through
 * {@link live} (the fresh elements it closed over are dropped). An element placed by reference
 * (a cached signature pad) is moved in as it is.
 */
export function patch<E extends Element>(el: E, ...children: Child[]): E {
  watchEdits();
  const next = el.cloneNode(false) as E;
  append(next, children);
  morphdom(el, next, {
    childrenOnly: true,
    onBeforeElUpdated: (from, to) => {
      if (from === to) return false;
      adoptHandlers(from, to);
      if (isControl(from) && isControl(to) && from.tagName === to.tagName) keepEdit(from, to);
      return true;
    },
  });
  return el;
}

/** The element in the document that stands for ``el`` (same id), or ``el`` itself: after a
 * {@link patch}, handlers made by a render must reach other elements through this. */
export function live<E extends HTMLElement>(el: E): E {
  return ((el.id && document.getElementById(el.id)) as E | null) || el;
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

/** A date and time in the app's language (zh-CN: "2026/12/3 15:04"), not the browser's: the
 * Chinese app showed "12/3/26, 3:04 PM" on a phone set to English. */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleString(currentLanguage(), { dateStyle: 'short', timeStyle: 'short' });
}

/** A calendar day ("2026-12-03") as a short title in the app's language: "Thu, Dec 3",
 * "12月3日周四". Noon local time, so no zone moves it to the day before or after. */
export function fmtDay(day: string): string {
  return new Date(`${day}T12:00:00`).toLocaleDateString(currentLanguage(), { weekday: 'short', day: 'numeric', month: 'short' });
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
