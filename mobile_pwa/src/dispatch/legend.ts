// What the console map's marks mean, drawn from the same table the map draws with, so the
// legend cannot drift from the markers. The map has no tile server (offline by design), so
// the legend and the permanent region and engineer labels are what a dispatcher reads it by.
import L from 'leaflet';
import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

export const PRIORITY_COLOUR: Record<string, string> = { P1: '#b3261e', P2: '#e8710a', P3: '#0b5fad', P4: '#6b7680' };
/** A ticket's ring by SLA state: colour and width (on time: a thin white ring). */
export const SLA_RING: Record<string, { color: string; weight: number }> = {
  ok: { color: '#fff', weight: 1 }, at_risk: { color: '#9a6700', weight: 3 }, breached: { color: '#000', weight: 3 },
};
export const ENGINEER_STATUSES = ['available', 'busy', 'off_duty'];
/** Lines: the selected ticket's assignee, its runner-up, a plan route. */
export const LINES = {
  assign: { color: '#1a7f37', weight: 3 },
  runnerUp: { color: '#9a6700', weight: 2, dashArray: '4 6' },
  plan: { color: '#7b1fa2', weight: 3 },
};
export const ASSIGNED_OPACITY = 0.55;

function dot(fill: string, ring = SLA_RING.ok!, opacity = 0.95): HTMLElement {
  return h('span.lg-dot', { 'aria-hidden': 'true', style: {
    background: fill, opacity: String(opacity), boxShadow: `0 0 0 ${ring.weight}px ${ring.color}, 0 0 0 ${ring.weight + 1}px #5b6770`,
  } });
}

function line(style: { color: string; weight: number; dashArray?: string }): HTMLElement {
  return h('span.lg-line', { 'aria-hidden': 'true', style: {
    borderTop: `${style.weight}px ${style.dashArray ? 'dashed' : 'solid'} ${style.color}`,
  } });
}

const item = (mark: HTMLElement, text: string): HTMLElement => h('li', mark, text);

/** The legend as a collapsible box (open by default). */
export function legendView(): HTMLElement {
  return h('details.legend', { id: 'map-legend', open: true },
    h('summary', t('lg_title')),
    h('ul', { 'aria-label': t('lg_tickets') },
      Object.entries(PRIORITY_COLOUR).map(([p, colour]) => item(dot(colour), p)),
      item(dot(PRIORITY_COLOUR.P3!, SLA_RING.ok, ASSIGNED_OPACITY), t('lg_assigned'))),
    h('ul', { 'aria-label': t('tl_sla') },
      ['ok', 'at_risk', 'breached'].map((s) => item(dot('#fff', SLA_RING[s]), `${t('tl_sla')} ${t(`tl_sla_${s}`)}`))),
    h('ul', { 'aria-label': t('engineers') },
      ENGINEER_STATUSES.map((s) => item(h(`span.eng-icon.lg-eng.${s}`, { 'aria-hidden': 'true' }), t(`e_${s}`)))),
    h('ul', { 'aria-label': t('lg_lines') },
      item(line(LINES.assign), t('lg_assign_line')), item(line(LINES.runnerUp), t('lg_runner_up')),
      item(line(LINES.plan), t('lg_plan_route'))));
}

/** Add the legend to ``map`` (bottom left); clicks and scrolls in it stay off the map. */
export function addLegend(map: L.Map): void {
  const control = new L.Control({ position: 'bottomleft' });
  control.onAdd = () => {
    const el = legendView();
    L.DomEvent.disableClickPropagation(el);
    L.DomEvent.disableScrollPropagation(el);
    return el;
  };
  control.addTo(map);
}
