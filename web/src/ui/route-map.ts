/**
 * A shipment's route on the offline basemap (world-atlas country outlines, Natural Earth 1:50m,
 * served from our own origin; d3-geo Web Mercator into SVG, like the fleet map): the planned
 * route dashed, the route actually driven (the logger's GPS fixes during the trip) solid, with
 * the stretches driven while out of range in red, origin and destination pins and the position
 * at delivery (or the latest one). Fitted to what it shows; no pan or zoom (the fleet map has
 * those).
 */
import { geoGraticule10, geoMercator, geoPath } from 'd3-geo';
import { cx, h, s } from '../dom.ts';
import type { LatLon, Place } from '../shipment-view.ts';
import { type Basemap, loadBasemap } from './basemap.ts';
import { fitToPoints } from './fit-projection.ts';

/** One GPS fix of the trip; `out` when the temperature was out of range at that fix. */
export interface TrackPoint extends LatLon {
  ts: number;
  out: boolean;
}

export interface RouteMapInput {
  planned: LatLon[];
  actual: TrackPoint[];
  origin: Place | null;
  destination: Place | null;
  /** Where the shipment is (delivery fix, or the latest fix in transit). */
  current: (LatLon & { label: string }) | null;
}

export interface RouteMap {
  el: HTMLElement;
  destroy(): void;
}

const MIN_SPAN_DEG = 0.6;
type LL = [number, number];

export function createRouteMap(input: RouteMapInput): RouteMap {
  const svg = s('svg', {
    class: 'map-svg route-map-svg',
    role: 'img',
    'aria-label': 'Planned and actual route',
    testid: 'shipment-map',
  });
  const status = h('div', { class: 'map-status', role: 'status' });
  const hasPlanned = input.planned.length > 1;
  const hasActual = input.actual.length > 0;
  const hasOut = input.actual.some((p) => p.out);
  const legend = h(
    'div',
    { class: 'map-legend', 'aria-label': 'Legend' },
    hasPlanned
      ? h(
          'span',
          { class: 'legend-item' },
          h('span', { class: 'legend-line legend-planned' }),
          'Planned route',
        )
      : null,
    h(
      'span',
      { class: 'legend-item' },
      h('span', { class: 'legend-line legend-actual' }),
      hasActual ? 'Actual route' : 'No GPS fixes yet',
    ),
    hasOut
      ? h('span', { class: 'legend-item' }, h('span', { class: 'legend-line legend-out' }), 'Out of range')
      : null,
  );
  const el = h('div', { class: 'map-wrap route-map' }, svg, legend, status);

  const pts: LL[] = [];
  for (const p of input.planned) pts.push([p.lon, p.lat]);
  for (const p of input.actual) pts.push([p.lon, p.lat]);
  for (const p of [input.origin, input.destination]) {
    if (p && p.lat !== undefined && p.lon !== undefined) pts.push([p.lon, p.lat]);
  }
  if (input.current) pts.push([input.current.lon, input.current.lat]);

  let width = 0;
  let height = 0;
  let map: Basemap | null = null;
  let stopped = false;

  function draw(): void {
    if (!width || !height) return;
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    const proj = geoMercator();
    const pad = 36;
    fitToPoints(
      proj,
      pts,
      [
        [pad + 30, pad + 10],
        [width - pad - 30, height - pad - 30],
      ],
      [
        [pad, pad],
        [width - pad, height - pad],
      ],
      MIN_SPAN_DEG,
    );
    const path = geoPath(proj);
    const xy = (p: LL) => proj(p);
    const line = (ll: LL[]) =>
      ll
        .map(xy)
        .filter((q): q is [number, number] => q !== null)
        .map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`)
        .join('');

    const layers: SVGElement[] = [
      s('rect', { class: 'map-sea', x: 0, y: 0, width, height }),
      s('path', { class: 'map-graticule', d: path(geoGraticule10()) ?? '' }),
    ];
    if (map) {
      layers.push(
        s('path', { class: 'map-land', d: path(map.land) ?? '' }),
        s('path', { class: 'map-borders', d: path(map.borders) ?? '' }),
      );
    }
    if (hasPlanned) {
      layers.push(
        s('path', {
          class: 'route-planned',
          d: line(input.planned.map((p) => [p.lon, p.lat])),
          testid: 'route-planned',
        }),
      );
    }
    if (input.actual.length > 1) {
      layers.push(
        s('path', {
          class: 'route-actual',
          d: line(input.actual.map((p) => [p.lon, p.lat])),
          testid: 'route-actual',
        }),
      );
      // Out-of-range stretches over the actual route: from an out fix to the next fix.
      const segs: LL[][] = [];
      let cur: LL[] | null = null;
      for (let i = 0; i < input.actual.length; i++) {
        const p = input.actual[i] as TrackPoint;
        if (p.out) {
          cur ??= [];
          cur.push([p.lon, p.lat]);
        } else if (cur) {
          cur.push([p.lon, p.lat]);
          segs.push(cur);
          cur = null;
        }
      }
      if (cur) segs.push(cur);
      for (const seg of segs) {
        if (seg.length > 1) layers.push(s('path', { class: 'route-out', d: line(seg) }));
      }
    }
    const pin = (p: Place | null, cls: string, letter: string, fallback: string) => {
      if (!p || p.lat === undefined || p.lon === undefined) return;
      const q = xy([p.lon, p.lat]);
      if (!q) return;
      const label = p.name || fallback;
      const right = q[0] < width - 140;
      layers.push(
        s(
          'g',
          { class: cx('route-pin', cls), transform: `translate(${q[0].toFixed(1)},${q[1].toFixed(1)})` },
          s('title', null, `${fallback}: ${label}`),
          s('circle', { r: 9, class: 'route-pin-dot' }),
          s('text', { class: 'route-pin-letter', 'text-anchor': 'middle', y: 4 }, letter),
          s(
            'text',
            { class: 'marker-label', x: right ? 14 : -14, y: 4, 'text-anchor': right ? 'start' : 'end' },
            label,
          ),
        ),
      );
    };
    pin(input.origin, 'route-origin', 'A', 'Origin');
    pin(input.destination, 'route-destination', 'B', 'Destination');
    if (input.current) {
      const q = xy([input.current.lon, input.current.lat]);
      if (q)
        layers.push(
          s(
            'g',
            {
              class: 'marker tone-ok route-current',
              transform: `translate(${q[0].toFixed(1)},${q[1].toFixed(1)})`,
            },
            s('title', null, input.current.label),
            s('circle', { r: 6, class: 'marker-dot' }),
          ),
        );
    }
    svg.replaceChildren(...layers);
  }

  const ro = new ResizeObserver(() => {
    const r = svg.getBoundingClientRect();
    const w = Math.round(r.width);
    const hh = Math.round(r.height);
    if (w < 10 || hh < 10 || (w === width && hh === height)) return;
    width = w;
    height = hh;
    draw();
  });
  ro.observe(svg);

  status.textContent = 'Loading map…';
  loadBasemap()
    .then((m) => {
      if (stopped) return;
      map = m;
      status.textContent = '';
      status.classList.add('hidden');
      draw();
    })
    .catch(() => {
      if (stopped) return;
      status.textContent = 'The basemap could not be loaded; the routes are drawn without it.';
    });

  return {
    el,
    destroy() {
      stopped = true;
      ro.disconnect();
    },
  };
}
