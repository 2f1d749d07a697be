/** Spherical-earth geometry for routes: good to a few metres per 100 km, plenty for a simulator. */

/** A point in decimal degrees (WGS 84 read as a sphere). */
export interface LatLon {
  lat: number;
  lon: number;
}

/** IUGG mean earth radius. */
export const EARTH_RADIUS_KM = 6371.0088;

const RAD = Math.PI / 180;

/** Great-circle distance by the haversine formula. */
export function haversineKm(a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Initial bearing from a to b, degrees clockwise from north in [0, 360). */
export function bearingDeg(a: LatLon, b: LatLon): number {
  const phi1 = a.lat * RAD;
  const phi2 = b.lat * RAD;
  const dLam = (b.lon - a.lon) * RAD;
  const y = Math.sin(dLam) * Math.cos(phi2);
  const x = Math.cos(phi1) * Math.sin(phi2) - Math.sin(phi1) * Math.cos(phi2) * Math.cos(dLam);
  return (Math.atan2(y, x) / RAD + 360) % 360;
}

/** The point a fraction f (0..1) of the way along the great circle from a to b (slerp). */
export function interpolateGreatCircle(a: LatLon, b: LatLon, f: number): LatLon {
  const delta = haversineKm(a, b) / EARTH_RADIUS_KM;
  if (delta < 1e-12) return { lat: a.lat, lon: a.lon };
  const wa = Math.sin((1 - f) * delta) / Math.sin(delta);
  const wb = Math.sin(f * delta) / Math.sin(delta);
  const phi1 = a.lat * RAD;
  const lam1 = a.lon * RAD;
  const phi2 = b.lat * RAD;
  const lam2 = b.lon * RAD;
  const x = wa * Math.cos(phi1) * Math.cos(lam1) + wb * Math.cos(phi2) * Math.cos(lam2);
  const y = wa * Math.cos(phi1) * Math.sin(lam1) + wb * Math.cos(phi2) * Math.sin(lam2);
  const z = wa * Math.sin(phi1) + wb * Math.sin(phi2);
  return { lat: Math.atan2(z, Math.hypot(x, y)) / RAD, lon: Math.atan2(y, x) / RAD };
}

/** The point `distKm` from p on the initial bearing `bearing` (degrees). */
export function destinationPoint(p: LatLon, bearing: number, distKm: number): LatLon {
  const delta = distKm / EARTH_RADIUS_KM;
  const theta = bearing * RAD;
  const phi1 = p.lat * RAD;
  const lam1 = p.lon * RAD;
  const phi2 = Math.asin(
    Math.sin(phi1) * Math.cos(delta) + Math.cos(phi1) * Math.sin(delta) * Math.cos(theta),
  );
  const lam2 =
    lam1 +
    Math.atan2(
      Math.sin(theta) * Math.sin(delta) * Math.cos(phi1),
      Math.cos(delta) - Math.sin(phi1) * Math.sin(phi2),
    );
  return { lat: phi2 / RAD, lon: ((lam2 / RAD + 540) % 360) - 180 };
}

/**
 * Distance from p to the segment a–b, in a local equirectangular projection around p
 * (segments here are a few km long, so the projection error is negligible).
 */
export function distanceToSegmentKm(p: LatLon, a: LatLon, b: LatLon): number {
  const kx = Math.cos(p.lat * RAD) * RAD * EARTH_RADIUS_KM;
  const ky = RAD * EARTH_RADIUS_KM;
  const ax = (a.lon - p.lon) * kx;
  const ay = (a.lat - p.lat) * ky;
  const bx = (b.lon - p.lon) * kx;
  const by = (b.lat - p.lat) * ky;
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2));
  return Math.hypot(ax + t * dx, ay + t * dy);
}
