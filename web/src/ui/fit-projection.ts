import type { GeoProjection } from 'd3-geo';

type Extent = [[number, number], [number, number]];

/**
 * Fits a projection to a set of [lon, lat] points, widening the box to at least `minSpanDeg` in
 * each direction so a single vehicle or a short trip keeps some context; with no points, the
 * whole world fills `worldExtent`.
 */
export function fitToPoints(
  proj: GeoProjection,
  pts: readonly [number, number][],
  extent: Extent,
  worldExtent: Extent,
  minSpanDeg: number,
): void {
  if (!pts.length) {
    proj.fitExtent(worldExtent, { type: 'Sphere' });
    return;
  }
  let [w, so, e, n] = [180, 90, -180, -90];
  for (const [lon, lat] of pts) {
    w = Math.min(w, lon);
    e = Math.max(e, lon);
    so = Math.min(so, lat);
    n = Math.max(n, lat);
  }
  if (e - w < minSpanDeg) [w, e] = [(w + e) / 2 - minSpanDeg / 2, (w + e) / 2 + minSpanDeg / 2];
  if (n - so < minSpanDeg) [so, n] = [(so + n) / 2 - minSpanDeg / 2, (so + n) / 2 + minSpanDeg / 2];
  proj.fitExtent(extent, {
    type: 'MultiPoint',
    coordinates: [
      [w, so],
      [e, n],
      [w, n],
      [e, so],
    ],
  });
}
