/**
 * Raster map tiles under the fleet map's SVG, for sites with internet (`dashboard.tiles.url`:
 * OpenStreetMap or a self-hosted tile server). Tiles are the usual XYZ (slippy map) scheme in
 * Web Mercator, 256 px, which is d3's geoMercator: the tile grid is laid over the projection's
 * world square, so markers and tracks drawn by d3 sit on the tiles.
 */
import type { GeoProjection } from 'd3-geo';
import { api } from '../api.ts';
import { h } from '../dom.ts';

export interface TileSource {
  url: string;
  attribution: string | null;
}

const TILE_PX = 256;
const MAX_ZOOM = 19;
/** A bound on the images of one view (a 4K screen at the tile size is about 150). */
const MAX_TILES = 300;

let settings: Promise<TileSource | null> | null = null;

/** The configured tile source, null for the offline map; asked once per page load. */
export function loadTileSource(): Promise<TileSource | null> {
  settings ??= api<{ tiles: TileSource | null }>('/dashboard/settings')
    .then((r) => r.tiles)
    .catch((err) => {
      settings = null;
      throw err;
    });
  return settings;
}

/** `{z}/{x}/{y}` of the template filled in. */
export function tileUrl(template: string, z: number, x: number, y: number): string {
  return template.replaceAll('{z}', String(z)).replaceAll('{x}', String(x)).replaceAll('{y}', String(y));
}

export interface PlacedTile {
  z: number;
  x: number;
  y: number;
  /** Which copy of the world sideways (0: the one from -180° to 180°). */
  copy: number;
  /** Screen position and size, in CSS pixels. */
  left: number;
  top: number;
  size: number;
}

/**
 * The tiles that cover a `width` x `height` view of `proj` zoomed by `view` (screen = k * projected
 * + (x, y)), at the tile zoom closest to the view's scale; the world repeats sideways.
 */
export function visibleTiles(
  proj: GeoProjection,
  view: { k: number; x: number; y: number },
  width: number,
  height: number,
): PlacedTile[] {
  const scale = proj.scale();
  const [tx, ty] = proj.translate();
  const world = 2 * Math.PI * scale * view.k;
  if (!(world > 0) || !(width > 0) || !(height > 0)) return [];
  const z = Math.min(MAX_ZOOM, Math.max(0, Math.round(Math.log2(world / TILE_PX))));
  const n = 2 ** z;
  const size = world / n;
  // The world square's top-left corner (lon -180°, lat 85.05°) on screen.
  const ox = view.k * (tx - Math.PI * scale) + view.x;
  const oy = view.k * (ty - Math.PI * scale) + view.y;
  const i0 = Math.floor(-ox / size);
  const i1 = Math.floor((width - ox) / size);
  const j0 = Math.max(0, Math.floor(-oy / size));
  const j1 = Math.min(n - 1, Math.floor((height - oy) / size));
  const out: PlacedTile[] = [];
  for (let j = j0; j <= j1; j++) {
    for (let i = i0; i <= i1 && out.length < MAX_TILES; i++) {
      out.push({
        z,
        x: ((i % n) + n) % n,
        y: j,
        copy: Math.floor(i / n),
        left: ox + i * size,
        top: oy + j * size,
        size,
      });
    }
  }
  return out;
}

/** The layer of tile images (under the SVG) and the attribution line the tile server asks for. */
export function tileLayer(source: TileSource): {
  el: HTMLElement;
  attribution: HTMLElement | null;
  draw: (proj: GeoProjection, view: { k: number; x: number; y: number }, w: number, h: number) => void;
} {
  const el = h('div', { class: 'map-tiles', 'aria-hidden': 'true', testid: 'map-tiles' });
  const attribution = source.attribution
    ? h('div', { class: 'map-attribution', testid: 'map-attribution' }, source.attribution)
    : null;
  const cache = new Map<string, HTMLImageElement>();
  const draw = (proj: GeoProjection, view: { k: number; x: number; y: number }, w: number, hgt: number) => {
    const imgs: HTMLImageElement[] = [];
    const keep = new Map<string, HTMLImageElement>();
    for (const t of visibleTiles(proj, view, w, hgt)) {
      const url = tileUrl(source.url, t.z, t.x, t.y);
      const key = `${url}#${t.copy}`;
      const img =
        cache.get(key) ??
        // The page's policy sends no Referer; tile servers (OpenStreetMap's usage policy) ask
        // for one, so tiles send our origin and nothing more.
        h('img', {
          src: url,
          alt: '',
          class: 'map-tile',
          referrerpolicy: 'strict-origin',
          draggable: 'false',
        });
      img.style.left = `${t.left.toFixed(1)}px`;
      img.style.top = `${t.top.toFixed(1)}px`;
      img.style.width = `${(t.size + 0.5).toFixed(1)}px`;
      img.style.height = `${(t.size + 0.5).toFixed(1)}px`;
      keep.set(key, img);
      imgs.push(img);
    }
    cache.clear();
    for (const [k, v] of keep) cache.set(k, v);
    el.replaceChildren(...imgs);
  };
  return { el, attribution, draw };
}
