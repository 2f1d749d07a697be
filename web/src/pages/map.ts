/**
 * The fleet map, offline: country outlines from world-atlas (Natural Earth 1:50m, bundled as an
 * asset of this build and fetched from our own origin), projected with d3-geo (Web Mercator) into
 * an SVG drawn here. Vaccine-transport devices appear at their latest position with their last
 * 24 h track, labelled, coloured by state with a text legend; click opens the device. Starts
 * zoomed to the fleet's bounding box; wheel, drag and buttons zoom and pan.
 */
import { type GeoProjection, geoGraticule10, geoMercator, geoPath } from 'd3-geo';
import { api, describeError } from '../api.ts';
import type { Page } from '../context.ts';
import { cx, h, replace, s } from '../dom.ts';
import { fmtField } from '../profiles.ts';
import type { ReadingEvent } from '../store.ts';
import type { Device, ShipmentView } from '../types.ts';
import { type Basemap, loadBasemap } from '../ui/basemap.ts';
import { badge, deviceStatusBadge, emptyState, errorBox, pageHeader, timeAgo } from '../ui/components.ts';
import { countryLabelsOf } from '../ui/country-labels.ts';
import { fitToPoints } from '../ui/fit-projection.ts';
import { icon } from '../ui/icons.ts';
import { placeLabels } from '../ui/label-placement.ts';
import { loadTileSource, tileLayer } from '../ui/tile-layer.ts';
import {
  type LonLat,
  labelText,
  mapControls,
  markerTone,
  outOfRange,
  position,
  TONE_TEXT,
  tripPinEl,
  tripPins,
} from './map-fleet.ts';
import { loadTracks, TRACK_HOURS, TRACK_MAX_POINTS } from './map-tracks.ts';

const MIN_SPAN_DEG = 3;

const tracks = new Map<string, LonLat[]>();

export const mapPage: Page = (root, ctx, params) => {
  let stopped = false;
  let width = 0;
  let height = 0;
  let projection: GeoProjection | null = null;
  let view = { k: 1, x: 0, y: 0 };
  let selected: string | null = params.focus ?? null;
  let map: Basemap | null = null;
  let trips = new Map<string, ShipmentView>();
  let tiles: ReturnType<typeof tileLayer> | null = null;

  const svg = s('svg', {
    class: 'map-svg',
    role: 'img',
    'aria-label': 'Map of moving devices',
    testid: 'fleet-map',
  });
  const sea = s('rect', { class: 'map-sea', x: 0, y: 0 });
  const zoomLayer = s('g', { class: 'map-zoom' });
  const graticule = s('path', { class: 'map-graticule', 'vector-effect': 'non-scaling-stroke' });
  const land = s('path', { class: 'map-land', 'vector-effect': 'non-scaling-stroke' });
  const borders = s('path', { class: 'map-borders', 'vector-effect': 'non-scaling-stroke' });
  const trackLayer = s('g', { class: 'map-tracks' });
  const countryLayer = s('g', { class: 'map-countries', 'aria-hidden': 'true' });
  const markerLayer = s('g', { class: 'map-markers' });
  zoomLayer.append(graticule, land, borders, trackLayer);
  svg.append(sea, zoomLayer, countryLayer, markerLayer);
  /** Country names at the centroid of each country's largest part, in projected (unzoomed) pixels. */
  let countryLabels: { name: string; x: number; y: number; area: number }[] = [];

  const status = h('div', { class: 'map-status', role: 'status' });
  const wrap = h(
    'div',
    { class: 'map-wrap' },
    svg,
    mapControls(zoomBy, fit),
    h(
      'div',
      { class: 'map-legend', 'aria-label': 'Legend' },
      (['ok', 'bad', 'warn', 'off'] as const).map((t) =>
        h('span', { class: 'legend-item' }, h('span', { class: `legend-dot tone-${t}` }), TONE_TEXT[t]),
      ),
      h(
        'span',
        { class: 'legend-item' },
        h('span', { class: 'legend-line' }),
        `Track, last ${TRACK_HOURS} h`,
      ),
    ),
    status,
  );
  const list = h('div', { class: 'map-list' });
  const basemapNote = h('span', null, 'Offline basemap: country outlines only.');
  replace(
    root,
    pageHeader('Map', h('span', null, 'Live positions and tracks of vaccine shipments. ', basemapNote)),
    h(
      'div',
      { class: 'map-layout' },
      wrap,
      h(
        'aside',
        { class: 'card map-side' },
        h('header', { class: 'card-header' }, h('h2', null, 'Vehicles')),
        list,
      ),
    ),
  );

  const trucks = () =>
    [...ctx.store.devices.values()]
      .filter((d) => d.profile === 'vaccine-transport')
      .sort((a, b) => a.id.localeCompare(b.id));

  // ---- projection and view
  function fleetPoints(): LonLat[] {
    const pts: LonLat[] = [];
    for (const d of trucks()) {
      const p = position(d);
      if (p) pts.push(p);
      for (const q of tracks.get(d.id) ?? []) pts.push(q);
    }
    return pts;
  }

  function setupProjection(): void {
    const pts = fleetPoints();
    const proj = geoMercator();
    const pad = Math.min(60, Math.max(24, Math.min(width, height) * 0.08));
    fitToPoints(
      proj,
      pts,
      // Room for labels on the right and for the legend at the bottom.
      [
        [pad + 40, pad + 20],
        [width - pad - 130, height - pad - 56],
      ],
      [
        [pad, pad],
        [width - pad, height - pad],
      ],
      MIN_SPAN_DEG,
    );
    projection = proj;
    view = { k: 1, x: 0, y: 0 };
    drawBase();
  }

  function drawBase(): void {
    if (!projection) return;
    const path = geoPath(projection);
    graticule.setAttribute('d', path(geoGraticule10()) ?? '');
    if (map) {
      land.setAttribute('d', path(map.land) ?? '');
      borders.setAttribute('d', path(map.borders) ?? '');
      countryLabels = countryLabelsOf(map, path);
    }
    drawTracks();
    applyView();
  }

  function drawTracks(): void {
    if (!projection) return;
    const proj = projection;
    trackLayer.replaceChildren(
      ...trucks().flatMap((d) => {
        const pts = [...(tracks.get(d.id) ?? [])];
        const p = position(d);
        if (p) pts.push(p);
        if (pts.length < 2) return [];
        const xy = pts.map((q) => proj(q)).filter((q): q is [number, number] => q !== null);
        const dAttr = xy.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
        return [
          s('path', {
            d: dAttr,
            class: cx('map-track', `tone-${markerTone(d)}`, selected === d.id && 'selected'),
            'vector-effect': 'non-scaling-stroke',
          }),
        ];
      }),
    );
  }

  function applyView(): void {
    if (tiles && projection) tiles.draw(projection, view, width, height);
    zoomLayer.setAttribute(
      'transform',
      `translate(${view.x.toFixed(2)},${view.y.toFixed(2)}) scale(${view.k.toFixed(4)})`,
    );
    drawCountryNames();
    drawMarkers();
  }

  /** Names of the countries large enough on screen, at most 40, without overlaps. */
  function drawCountryNames(): void {
    const k2 = view.k * view.k;
    const boxes: [number, number, number, number][] = [];
    const texts: SVGTextElement[] = [];
    for (const c of countryLabels) {
      if (texts.length >= 40 || c.area * k2 < 5000) break;
      const x = c.x * view.k + view.x;
      const y = c.y * view.k + view.y;
      const w = c.name.length * 7.4;
      const box: [number, number, number, number] = [x - w / 2, y - 8, x + w / 2, y + 8];
      if (box[0] < 0 || box[2] > width || box[1] < 0 || box[3] > height) continue;
      if (boxes.some((b) => box[0] < b[2] && box[2] > b[0] && box[1] < b[3] && box[3] > b[1])) continue;
      boxes.push(box);
      texts.push(
        s(
          'text',
          { x: x.toFixed(1), y: (y + 4).toFixed(1), 'text-anchor': 'middle', class: 'map-country' },
          c.name,
        ),
      );
    }
    countryLayer.replaceChildren(...texts);
  }

  function toScreen(p: LonLat): [number, number] | null {
    const q = projection?.(p);
    return q ? [q[0] * view.k + view.x, q[1] * view.k + view.y] : null;
  }

  function drawMarkers(): void {
    const items = trucks()
      .map((d) => ({ d, xy: position(d) ? toScreen(position(d) as LonLat) : null }))
      .filter((m): m is { d: Device; xy: [number, number] } => m.xy !== null)
      // Draw alarms last so they sit on top; place their labels first.
      .sort((a, b) => (markerTone(a.d) === 'bad' ? 1 : 0) - (markerTone(b.d) === 'bad' ? 1 : 0));
    // Labels of the most urgent markers are placed first, the trip's place names last; every
    // marker and pin is an obstacle for the labels placed after it.
    const pins = tripPins([...trips.values()], toScreen, selected);
    const labels = placeLabels(
      [
        ...[...items].reverse().map(({ d, xy }) => ({ id: d.id, text: labelText(d), xy })),
        ...pins.map((p) => ({ id: p.id, text: p.name ?? '', xy: p.xy })),
      ],
      width,
      height,
    );
    markerLayer.replaceChildren(
      ...pins.map((p) => tripPinEl(p, labels.get(p.id))),
      ...items.map(({ d, xy }) => {
        const tone = markerTone(d);
        const lab = labels.get(d.id);
        const g = s(
          'g',
          {
            class: cx('marker', `tone-${tone}`, selected === d.id && 'selected'),
            transform: `translate(${xy[0].toFixed(1)},${xy[1].toFixed(1)})`,
            tabindex: 0,
            role: 'link',
            'aria-label': `${d.id}: ${TONE_TEXT[tone]}, ${labelText(d)}. Open device.`,
            testid: `map-marker-${d.id}`,
          },
          s('title', null, `${d.id} · ${TONE_TEXT[tone]} · ${labelText(d)}`),
          s('circle', { r: selected === d.id ? 9 : 7, class: 'marker-dot' }),
          tone === 'bad' ? s('path', { d: 'M0 -3.5v4M0 2.5v.6', class: 'marker-glyph' }) : null,
          lab
            ? s(
                'text',
                { x: lab.x - xy[0], y: lab.y - xy[1], 'text-anchor': lab.anchor, class: 'marker-label' },
                labelText(d),
              )
            : null,
        );
        const open = () => ctx.navigate(`#/device/${encodeURIComponent(d.id)}`);
        g.addEventListener('click', open);
        g.addEventListener('keydown', (e) => {
          if ((e as KeyboardEvent).key === 'Enter' || (e as KeyboardEvent).key === ' ') open();
        });
        return g;
      }),
    );
  }

  function renderList(): void {
    const ts = trucks();
    if (!ts.length) {
      replace(list, emptyState('No vaccine-transport devices.'));
      return;
    }
    replace(
      list,
      h(
        'ul',
        { class: 'vehicle-list' },
        ts.map((d) => {
          const tone = markerTone(d);
          const p = position(d);
          return h(
            'li',
            { class: cx('vehicle', selected === d.id && 'selected') },
            h(
              'button',
              {
                type: 'button',
                class: 'vehicle-btn',
                disabled: !p,
                title: p ? 'Show on the map' : 'No position yet',
                onclick: () => focusOn(d.id),
              },
              h('span', { class: `legend-dot tone-${tone}` }),
              h('span', { class: 'vehicle-id' }, d.id),
              h(
                'span',
                // Red only when the temperature itself is out of range (the alarm may be power, say).
                { class: cx('vehicle-temp', outOfRange(d) && 'value-bad') },
                fmtField('temp_c', d.latest?.data.temp_c),
              ),
            ),
            h(
              'div',
              { class: 'vehicle-meta' },
              deviceStatusBadge(d),
              d.alarm === 'open' ? badge('bad', 'Alarm', 'alert') : null,
              h('span', { class: 'muted small' }, timeAgo(d.lastSeenAt)),
              h('a', { href: `#/device/${encodeURIComponent(d.id)}`, class: 'small' }, 'Details'),
            ),
          );
        }),
      ),
    );
  }

  // ---- interaction
  function zoomAt(factor: number, cx0: number, cy0: number): void {
    const k = Math.min(64, Math.max(0.5, view.k * factor));
    const f = k / view.k;
    view = { k, x: cx0 - (cx0 - view.x) * f, y: cy0 - (cy0 - view.y) * f };
    applyView();
  }
  function zoomBy(f: number): void {
    zoomAt(f, width / 2, height / 2);
  }
  function fit(): void {
    selected = null;
    setupProjection();
    renderList();
  }
  function focusOn(id: string): void {
    const d = ctx.store.devices.get(id);
    const p = d ? position(d) : null;
    const q = p ? projection?.(p) : null;
    if (!q) return;
    selected = id;
    const k = Math.max(view.k, 4);
    view = { k, x: width / 2 - q[0] * k, y: height / 2 - q[1] * k };
    drawTracks();
    applyView();
    renderList();
  }

  const toLocal = (e: { clientX: number; clientY: number }) => {
    const r = svg.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * width, ((e.clientY - r.top) / r.height) * height] as const;
  };
  svg.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const [x, y] = toLocal(e);
      zoomAt(Math.exp(-e.deltaY * 0.0015), x, y);
    },
    { passive: false },
  );
  let drag: { id: number; x: number; y: number; vx: number; vy: number; moved: boolean } | null = null;
  svg.addEventListener('pointerdown', (e) => {
    if ((e.target as Element).closest('.marker')) return;
    const [x, y] = toLocal(e);
    drag = { id: e.pointerId, x, y, vx: view.x, vy: view.y, moved: false };
    svg.setPointerCapture(e.pointerId);
  });
  svg.addEventListener('pointermove', (e) => {
    if (!drag || drag.id !== e.pointerId) return;
    const [x, y] = toLocal(e);
    if (Math.abs(x - drag.x) + Math.abs(y - drag.y) > 3) drag.moved = true;
    view = { ...view, x: drag.vx + x - drag.x, y: drag.vy + y - drag.y };
    applyView();
  });
  const endDrag = () => {
    drag = null;
  };
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);
  svg.addEventListener('dblclick', (e) => {
    const [x, y] = toLocal(e);
    zoomAt(2, x, y);
  });

  // ---- sizing
  let fitted = false;
  const ro = new ResizeObserver(() => {
    const r = svg.getBoundingClientRect();
    const w = Math.round(r.width);
    const hgt = Math.round(r.height);
    if (w < 10 || hgt < 10 || (w === width && hgt === height)) return;
    width = w;
    height = hgt;
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    sea.setAttribute('width', String(width));
    sea.setAttribute('height', String(height));
    if (!fitted && ctx.store.loaded) {
      fitted = true;
      setupProjection();
      if (selected) focusOn(selected);
    } else if (fitted) drawBase();
  });
  ro.observe(svg);

  // ---- data
  /** Trips in transit, by logger: their origin and destination pins. */
  async function loadTrips(): Promise<void> {
    if (!ctx.can('shipments.read')) return;
    try {
      const r = await api<{ shipments: ShipmentView[] }>('/shipments?state=in_transit&limit=1000');
      trips = new Map(r.shipments.map((t) => [t.deviceId, t]));
    } catch {
      // No pins; the vehicles still show.
    }
  }

  async function start(): Promise<void> {
    status.replaceChildren(icon('clock'), ' Loading map…');
    try {
      if (!ctx.store.loaded) await ctx.store.refresh();
      // A tile source that cannot be asked for leaves the offline map.
      const source = await loadTileSource().catch(() => null);
      if (stopped) return;
      if (source) {
        tiles = tileLayer(source);
        wrap.prepend(tiles.el);
        if (tiles.attribution) wrap.append(tiles.attribution);
        wrap.classList.add('map-tiled');
        basemapNote.textContent = 'Basemap: map tiles from the configured tile server.';
      }
      const [m] = await Promise.all([loadBasemap(), loadTracks(trucks(), tracks), loadTrips()]);
      if (stopped) return;
      map = m;
      status.replaceChildren();
      status.classList.add('hidden');
    } catch (err) {
      if (stopped) return;
      status.replaceChildren(
        errorBox(
          `The basemap could not be loaded: ${err instanceof Error ? err.message : describeError(err)}. Markers are still shown.`,
        ),
      );
    }
    if (width && height) {
      fitted = true;
      setupProjection();
      if (selected) focusOn(selected);
    }
    renderList();
  }

  const unsubs = [
    ctx.store.on('reading', (e) => {
      const { deviceId, reading } = e as ReadingEvent;
      const lat = reading.data.lat;
      const lon = reading.data.lon;
      if (typeof lat !== 'number' || typeof lon !== 'number' || reading.backfill) return;
      const t = tracks.get(deviceId) ?? [];
      t.push([lon, lat]);
      if (t.length > TRACK_MAX_POINTS * 2) t.splice(0, t.length - TRACK_MAX_POINTS * 2);
      tracks.set(deviceId, t);
    }),
    ctx.store.on('devices', () => {
      if (!fitted) return;
      drawTracks();
      drawMarkers();
      renderList();
    }),
  ];

  renderList();
  void start();
  return () => {
    stopped = true;
    ro.disconnect();
    for (const u of unsubs) u();
  };
};
