/** Small pieces the shipment pages share: state badges, places, profile names, MKT. */
import { h } from '../dom.ts';
import { duration } from '../format.ts';
import type { Place, TempRange } from '../shipment-view.ts';
import type { ShipmentView } from '../types.ts';
import { badge, type Tone } from './components.ts';

const STATE: Record<string, [Tone, string, string]> = {
  planned: ['neutral', 'Planned', 'clock'],
  in_transit: ['info', 'In transit', 'truck'],
  delivered: ['ok', 'Delivered', 'check'],
  closed: ['off', 'Closed', 'x'],
  quarantined: ['bad', 'Quarantined', 'alert'],
  released: ['ok', 'Released', 'shield'],
};

/** A shipment's state as a badge (colour, icon and words). */
export function shipmentStateBadge(state: string): HTMLSpanElement {
  const [tone, text, ic] = STATE[state] ?? ['neutral', state.replace(/_/g, ' '), 'clock'];
  return badge(tone, text, ic, `shipment-state-${state}`);
}

export function placeName(p: Place | null): string {
  if (!p) return '–';
  if (p.name) return p.name;
  if (p.lat !== undefined && p.lon !== undefined) return `${p.lat.toFixed(3)}, ${p.lon.toFixed(3)}`;
  return '–';
}

/** `Amsterdam → Utrecht`. */
export function routeText(s: Pick<ShipmentView, 'origin' | 'destination'>): HTMLElement {
  return h(
    'span',
    { class: 'route-text' },
    h('span', null, placeName(s.origin)),
    h('span', { class: 'route-arrow', 'aria-label': 'to' }, ' → '),
    h('span', null, placeName(s.destination)),
  );
}

/** MKT with its unit; coloured when outside the range. */
export function mktText(mktC: number | null, range: TempRange | null): HTMLElement {
  if (mktC === null) return h('span', { class: 'muted' }, '–');
  const out = range !== null && (mktC > range.upperC || mktC < range.lowerC);
  return h(
    'span',
    { class: out ? 'value value-bad' : 'value', title: 'Mean kinetic temperature over the trip' },
    `${mktC.toFixed(2)} °C`,
  );
}

/** `2 h 10 min` out of range, or `none`. */
export function timeOutText(ms: number | null): string {
  if (ms === null) return '–';
  if (ms <= 0) return 'None';
  return duration(ms / 1000);
}

/** Who did it, for people: `user:alice` → `alice`, `token:abc` → `token abc`. */
export function actorName(a: string | null | undefined): string {
  if (!a) return '–';
  const m = /^(user|token|device):(.+)$/.exec(a);
  if (!m) return a;
  return m[1] === 'user' ? (m[2] ?? a) : `${m[1]} ${m[2]}`;
}
