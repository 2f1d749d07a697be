/**
 * Distances for geofencing on a spherical earth (IUGG mean radius): point to point by haversine,
 * point to a route polyline by cross-track distance to each great-circle segment. Good to about
 * 0.5 % against the WGS 84 ellipsoid, far inside any off-route tolerance.
 */

/** A position in decimal degrees. */
export interface LatLon {
  readonly lat: number;
  readonly lon: number;
}

/** IUGG mean earth radius, km. */
export const EARTH_RADIUS_KM = 6371.0088;

const RAD = Math.PI / 180;

type Vec = readonly [number, number, number];

function toVec(p: LatLon): Vec {
  const phi = p.lat * RAD;
  const lam = p.lon * RAD;
  return [Math.cos(phi) * Math.cos(lam), Math.cos(phi) * Math.sin(lam), Math.sin(phi)];
}

function cross(a: Vec, b: Vec): Vec {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function dot(a: Vec, b: Vec): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

function norm(a: Vec): number {
  return Math.sqrt(dot(a, a));
}

/** Central angle between two unit vectors, robust for tiny and near-antipodal angles. */
function angle(a: Vec, b: Vec): number {
  return Math.atan2(norm(cross(a, b)), dot(a, b));
}

/** Great-circle distance by the haversine formula, km. */
export function haversineKm(a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Shortest distance from `p` to the great-circle segment a–b, km. */
export function distanceToSegmentKm(p: LatLon, a: LatLon, b: LatLon): number {
  const P = toVec(p);
  const A = toVec(a);
  const B = toVec(b);
  const n = cross(A, B);
  const nLen = norm(n);
  if (nLen < 1e-12) return angle(P, A) * EARTH_RADIUS_KM; // a and b coincide
  const N: Vec = [n[0] / nLen, n[1] / nLen, n[2] / nLen];
  const sinXt = dot(P, N);
  // foot of the perpendicular on the great circle; inside the segment iff it lies between a and b
  const foot: Vec = [P[0] - sinXt * N[0], P[1] - sinXt * N[1], P[2] - sinXt * N[2]];
  if (norm(foot) > 1e-12 && dot(cross(A, foot), N) >= 0 && dot(cross(foot, B), N) >= 0) {
    return Math.abs(Math.asin(Math.max(-1, Math.min(1, sinXt)))) * EARTH_RADIUS_KM;
  }
  return Math.min(angle(P, A), angle(P, B)) * EARTH_RADIUS_KM;
}

/** Shortest distance from `p` to a route polyline, km; a one-point route is that point. */
export function distanceToRouteKm(p: LatLon, route: readonly LatLon[]): number {
  if (route.length === 0) throw new RangeError('route must have at least one point');
  if (route.length === 1) return haversineKm(p, route[0] as LatLon);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i + 1 < route.length; i++) {
    const d = distanceToSegmentKm(p, route[i] as LatLon, route[i + 1] as LatLon);
    if (d < best) best = d;
  }
  return best;
}
