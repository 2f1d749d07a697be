/** Where to write each country's name on a projected basemap. */
import type { GeoPath } from 'd3-geo';
import type { Basemap } from './basemap.ts';

export interface CountryLabel {
  name: string;
  x: number;
  y: number;
  /** Projected area, px²: the larger first. */
  area: number;
}

/** Country names at the centroid of each country's largest part, in projected pixels, largest first. */
export function countryLabelsOf(map: Basemap, path: GeoPath): CountryLabel[] {
  const out: CountryLabel[] = [];
  for (const f of map.land.features) {
    const name = (f.properties as { name?: string } | null)?.name;
    if (!name || !f.geometry) continue;
    // The largest part only: France's label belongs in Europe, not between it and its overseas parts.
    const parts: GeoJSON.Polygon[] =
      f.geometry.type === 'MultiPolygon'
        ? f.geometry.coordinates.map((coordinates) => ({ type: 'Polygon', coordinates }))
        : f.geometry.type === 'Polygon'
          ? [f.geometry]
          : [];
    let best: { area: number; c: [number, number] } | null = null;
    for (const part of parts) {
      const area = path.area(part);
      if (!best || area > best.area) best = { area, c: path.centroid(part) };
    }
    // Antarctica's area is infinite in Mercator: keep finite figures only, or the sort breaks.
    if (best && Number.isFinite(best.area) && Number.isFinite(best.c[0]) && Number.isFinite(best.c[1]))
      out.push({ name, x: best.c[0], y: best.c[1], area: best.area });
  }
  out.sort((a, b) => b.area - a.area);
  return out;
}
