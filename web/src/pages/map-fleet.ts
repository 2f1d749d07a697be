/** How the fleet map shows a vehicle: its position, the tone of its marker, its label. */
import { cx, h, s } from '../dom.ts';
import { fmtField, limitOf, limitState } from '../profiles.ts';
import type { Device, ShipmentView } from '../types.ts';
import type { PlacedLabel } from '../ui/label-placement.ts';
// The A and B pins look as on a shipment's route map.
import './shipments.css';

export type LonLat = [number, number];

export function position(d: Device): LonLat | null {
  const lat = d.latest?.data.lat;
  const lon = d.latest?.data.lon;
  return typeof lat === 'number' && typeof lon === 'number' ? [lon, lat] : null;
}

export function markerTone(d: Device): 'bad' | 'warn' | 'off' | 'ok' {
  if (d.status !== 'enabled') return 'off';
  if (d.alarm === 'open') return 'bad';
  const st = limitState(d.latest?.data.temp_c, limitOf(d, 'temp_c'));
  if (st === 'high' || st === 'low') return 'bad';
  if (!d.online) return 'warn';
  return 'ok';
}

export function outOfRange(d: Device): boolean {
  const st = limitState(d.latest?.data.temp_c, limitOf(d, 'temp_c'));
  return st === 'high' || st === 'low';
}

export const TONE_TEXT = {
  ok: 'In range',
  bad: 'Excursion or alarm',
  warn: 'Offline',
  off: 'Disabled',
} as const;

/** `truck-001 · 4.6 °C`. */
export function labelText(d: Device): string {
  const t = d.latest?.data.temp_c;
  return typeof t === 'number' ? `${d.id} · ${fmtField('temp_c', t)}` : d.id;
}

/** Zoom in, zoom out and fit the fleet. */
export function mapControls(zoomBy: (f: number) => void, fit: () => void): HTMLElement {
  return h(
    'div',
    { class: 'map-controls' },
    h(
      'button',
      {
        type: 'button',
        class: 'btn-map',
        'aria-label': 'Zoom in',
        title: 'Zoom in',
        onclick: () => zoomBy(1.6),
      },
      '+',
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'btn-map',
        'aria-label': 'Zoom out',
        title: 'Zoom out',
        onclick: () => zoomBy(1 / 1.6),
      },
      '−',
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'btn-map btn-map-text',
        title: 'Fit the fleet',
        testid: 'map-fit',
        onclick: () => fit(),
      },
      'Fit fleet',
    ),
  );
}

/** A trip's origin (A) or destination (B) on the fleet map. */
export interface TripPin {
  id: string;
  xy: [number, number];
  letter: 'A' | 'B';
  cls: string;
  title: string;
  /** Named on the map (the selected truck's trip); else only in the tooltip. */
  name: string | null;
  deviceId: string;
}

/** The pins of every trip in transit that has coordinates, in screen pixels. */
export function tripPins(
  trips: readonly ShipmentView[],
  toScreen: (p: LonLat) => [number, number] | null,
  selected: string | null,
): TripPin[] {
  const out: TripPin[] = [];
  for (const t of trips) {
    for (const [p, cls, letter, what] of [
      [t.origin, 'route-origin', 'A', 'Origin'],
      [t.destination, 'route-destination', 'B', 'Destination'],
    ] as const) {
      if (p.lat === undefined || p.lon === undefined) continue;
      const xy = toScreen([p.lon, p.lat]);
      if (!xy) continue;
      out.push({
        id: `pin:${t.deviceId}:${letter}`,
        xy,
        letter,
        cls,
        title: `${what} of ${t.id} (${t.deviceId}): ${p.name}`,
        name: t.deviceId === selected ? p.name : null,
        deviceId: t.deviceId,
      });
    }
  }
  return out;
}

/** A pin's SVG, its name where the label placement found room (label-placement.ts). */
export function tripPinEl(pin: TripPin, label: PlacedLabel | null | undefined): SVGElement {
  const [x, y] = pin.xy;
  return s(
    'g',
    {
      class: cx('route-pin', 'trip-pin', pin.cls),
      transform: `translate(${x.toFixed(1)},${y.toFixed(1)})`,
      testid: `trip-pin-${pin.deviceId}-${pin.letter}`,
    },
    s('title', null, pin.title),
    s('circle', { r: pin.name ? 9 : 6, class: 'route-pin-dot' }),
    pin.name ? s('text', { class: 'route-pin-letter', 'text-anchor': 'middle', y: 4 }, pin.letter) : null,
    pin.name && label
      ? s(
          'text',
          { class: 'marker-label', x: label.x - x, y: label.y - y, 'text-anchor': label.anchor },
          pin.name,
        )
      : null,
  );
}
