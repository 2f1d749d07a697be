/**
 * An arrival estimate from route progress: how far along the planned route the latest GPS fix
 * is, and the average speed over the road since dispatch. Distances on the sphere (haversine,
 * mean Earth radius 6371 km); the fix is placed at the nearest point of the nearest segment.
 */
export interface LatLonPoint {
  lat: number;
  lon: number;
}

const R_KM = 6371;
const rad = (d: number) => (d * Math.PI) / 180;

export function distanceKm(a: LatLonPoint, b: LatLonPoint): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * R_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Kilometres along `route` to the point nearest `p` (segments treated as flat: they are short). */
export function progressKm(
  route: readonly LatLonPoint[],
  p: LatLonPoint,
): { alongKm: number; totalKm: number; offKm: number } {
  let along = 0;
  let best = { alongKm: 0, offKm: Number.POSITIVE_INFINITY };
  for (let i = 1; i < route.length; i++) {
    const a = route[i - 1] as LatLonPoint;
    const b = route[i] as LatLonPoint;
    const seg = distanceKm(a, b);
    // Project on the segment in a local equirectangular frame.
    const kx = Math.cos(rad((a.lat + b.lat) / 2));
    const bx = (b.lon - a.lon) * kx;
    const by = b.lat - a.lat;
    const px = (p.lon - a.lon) * kx;
    const py = p.lat - a.lat;
    const len2 = bx * bx + by * by;
    const t = len2 > 0 ? Math.max(0, Math.min(1, (px * bx + py * by) / len2)) : 0;
    const q = { lat: a.lat + t * (b.lat - a.lat), lon: a.lon + t * (b.lon - a.lon) };
    const off = distanceKm(q, p);
    if (off < best.offKm) best = { alongKm: along + t * seg, offKm: off };
    along += seg;
  }
  return { alongKm: best.alongKm, totalKm: along, offKm: best.offKm };
}

/**
 * Estimated arrival (ms) from the latest fix, or null when it cannot be told: no route, no
 * progress yet (under 1 km), or the truck far off the route (over 25 km).
 */
export function etaFromProgress(
  route: readonly LatLonPoint[],
  fix: LatLonPoint & { ts: number },
  dispatchedAt: number,
): number | null {
  if (route.length < 2 || fix.ts <= dispatchedAt) return null;
  const { alongKm, totalKm, offKm } = progressKm(route, fix);
  if (offKm > 25 || alongKm < 1) return null;
  const kmPerMs = alongKm / (fix.ts - dispatchedAt);
  return Math.round(fix.ts + (totalKm - alongKm) / kmPerMs);
}
