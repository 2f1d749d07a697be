/**
 * Road routes between nearby cities, as polylines. A route follows great circles through a few
 * real via towns (the trunk road's main stops) with a small deterministic lateral wiggle, so it
 * looks like a road on a map and the same corridor is the same road in both directions.
 */
import { VigilError } from '../../errors.ts';
import { createRng, hashSeed, uniform } from '../../random/rng.ts';
import { CITIES, type City, findCity } from './cities.ts';
import {
  bearingDeg,
  destinationPoint,
  distanceToSegmentKm,
  haversineKm,
  interpolateGreatCircle,
  type LatLon,
} from './geo.ts';

/** A drivable polyline from one city to another. */
export interface Route {
  /** `${from.id}--${to.id}` */
  id: string;
  from: City;
  to: City;
  /** First is `from`, last is `to`; consecutive points a few km apart. */
  waypoints: readonly LatLon[];
  /** Distance along the route at each waypoint; `cumKm[0] = 0`, last = `lengthKm`. */
  cumKm: readonly number[];
  lengthKm: number;
}

/** Where a vehicle is after driving `km` along a route. */
export interface RoutePosition extends LatLon {
  km: number;
  /** km / lengthKm, in [0, 1]. */
  fraction: number;
  /** Heading of the current segment, degrees from north. */
  bearingDeg: number;
}

/** A road corridor between two cities, with the towns the trunk road passes (listed from a to b). */
export interface Corridor {
  a: string;
  b: string;
  via: readonly LatLon[];
}

export const CORRIDORS: readonly Corridor[] = Object.freeze([
  {
    a: 'amsterdam',
    b: 'brussels',
    via: [
      { lat: 51.9244, lon: 4.4777 },
      { lat: 51.2194, lon: 4.4025 },
    ],
  }, // A4/A16 Rotterdam, Antwerp
  { a: 'antwerp', b: 'brussels', via: [{ lat: 51.0259, lon: 4.4776 }] }, // A1 Mechelen
  {
    a: 'brussels',
    b: 'paris',
    via: [
      { lat: 50.4542, lon: 3.9566 },
      { lat: 49.4179, lon: 2.8261 },
    ],
  }, // E19/A1 Mons, Compiègne
  {
    a: 'geneva',
    b: 'lyon',
    via: [
      { lat: 46.1078, lon: 5.8261 },
      { lat: 45.9583, lon: 5.3594 },
    ],
  }, // A40/A42 Bellegarde, Ambérieu
  {
    a: 'nairobi',
    b: 'mombasa',
    via: [
      { lat: -2.2717, lon: 37.8222 },
      { lat: -3.3961, lon: 38.5561 },
    ],
  }, // A109 Makindu, Voi
  {
    a: 'nairobi',
    b: 'kampala',
    via: [
      { lat: -0.3031, lon: 36.08 }, // Nakuru
      { lat: 0.5143, lon: 35.2698 }, // Eldoret
      { lat: 0.4608, lon: 34.0915 }, // Busia border
      { lat: 0.4244, lon: 33.2042 }, // Jinja
    ],
  },
  { a: 'lagos', b: 'ibadan', via: [{ lat: 6.8429, lon: 3.6362 }] }, // Lagos–Ibadan Expressway, Sagamu
  {
    a: 'lagos',
    b: 'accra',
    via: [
      { lat: 6.3703, lon: 2.3912 },
      { lat: 6.1319, lon: 1.2228 },
    ],
  }, // coastal highway Cotonou, Lomé
  {
    a: 'accra',
    b: 'kumasi',
    via: [
      { lat: 5.8089, lon: -0.3503 },
      { lat: 6.55, lon: -0.7667 },
    ],
  }, // N6 Nsawam, Nkawkaw
  { a: 'dakar', b: 'thies', via: [{ lat: 14.7153, lon: -17.2733 }] }, // Rufisque
  { a: 'addis-ababa', b: 'adama', via: [{ lat: 8.7525, lon: 38.9785 }] }, // Bishoftu
  {
    a: 'mumbai',
    b: 'pune',
    via: [
      { lat: 18.9894, lon: 73.1175 },
      { lat: 18.7546, lon: 73.4062 },
    ],
  }, // Panvel, Lonavala
  {
    a: 'delhi',
    b: 'jaipur',
    via: [
      { lat: 28.4595, lon: 77.0266 },
      { lat: 27.8886, lon: 76.2873 },
    ],
  }, // NH48 Gurugram, Behror
  {
    a: 'dhaka',
    b: 'chattogram',
    via: [
      { lat: 23.4607, lon: 91.1809 },
      { lat: 23.0159, lon: 91.3976 },
    ],
  }, // N1 Cumilla, Feni
  { a: 'jakarta', b: 'bandung', via: [{ lat: -6.5569, lon: 107.4431 }] }, // Cipularang toll road, Purwakarta
  {
    a: 'manila',
    b: 'batangas',
    via: [
      { lat: 14.2117, lon: 121.1653 },
      { lat: 13.9411, lon: 121.1631 },
    ],
  }, // SLEX/STAR Calamba, Lipa
  {
    a: 'lima',
    b: 'ica',
    via: [
      { lat: -13.0769, lon: -76.3872 },
      { lat: -13.4099, lon: -76.1323 },
    ],
  }, // Panamericana Cañete, Chincha
  {
    a: 'bogota',
    b: 'medellin',
    via: [
      { lat: 5.2086, lon: -74.7359 },
      { lat: 5.873, lon: -74.6404 },
    ],
  }, // Ruta 50/60 Honda, Puerto Triunfo
  { a: 'sao-paulo', b: 'campinas', via: [{ lat: -23.1857, lon: -46.8978 }] }, // Bandeirantes, Jundiaí
  {
    a: 'sao-paulo',
    b: 'rio-de-janeiro',
    via: [
      { lat: -23.1896, lon: -45.8841 },
      { lat: -22.5202, lon: -44.0996 },
    ],
  }, // Dutra
] satisfies Corridor[]);

const DEFAULT_SPACING_KM = 5;

/**
 * Build the route from `from` to `to` through `via`. The wiggle is seeded by the unordered pair,
 * so building the reverse direction yields the same road.
 */
export function buildRoute(
  from: City,
  to: City,
  via: readonly LatLon[] = [],
  spacingKm = DEFAULT_SPACING_KM,
): Route {
  if (from.id > to.id) return reverseRoute(buildRoute(to, from, [...via].reverse(), spacingKm));
  const controls: LatLon[] = [from, ...via, to];
  const waypoints: LatLon[] = [{ lat: from.lat, lon: from.lon }];
  for (let leg = 0; leg < controls.length - 1; leg++) {
    const p = controls[leg] as LatLon;
    const q = controls[leg + 1] as LatLon;
    const legKm = haversineKm(p, q);
    const n = Math.max(2, Math.ceil(legKm / spacingKm));
    // a road strays a few km from the straight line, never more than ~5 % of the leg
    const amplitude = Math.min(0.05 * legKm, 6);
    const shape = createRng(hashSeed(`${from.id}--${to.id}#${leg}`));
    const k1 = 1 + Math.floor(shape.next() * 2);
    const k2 = 3 + Math.floor(shape.next() * 3);
    const ph1 = uniform(shape, 0, 2 * Math.PI);
    const ph2 = uniform(shape, 0, 2 * Math.PI);
    for (let j = 1; j <= n; j++) {
      const f = j / n;
      if (j === n) {
        waypoints.push({ lat: q.lat, lon: q.lon });
        break;
      }
      const base = interpolateGreatCircle(p, q, f);
      const envelope = Math.sin(Math.PI * f); // pinned at both ends of the leg
      const lateral =
        amplitude *
        envelope *
        (0.65 * Math.sin(2 * Math.PI * k1 * f + ph1) + 0.35 * Math.sin(2 * Math.PI * k2 * f + ph2));
      waypoints.push(destinationPoint(base, bearingDeg(base, q) + 90, lateral));
    }
  }
  return withDistances(`${from.id}--${to.id}`, from, to, waypoints);
}

function withDistances(id: string, from: City, to: City, waypoints: LatLon[]): Route {
  const cumKm = [0];
  for (let i = 1; i < waypoints.length; i++) {
    cumKm.push((cumKm[i - 1] as number) + haversineKm(waypoints[i - 1] as LatLon, waypoints[i] as LatLon));
  }
  return Object.freeze({
    id,
    from,
    to,
    waypoints: Object.freeze(waypoints),
    cumKm: Object.freeze(cumKm),
    lengthKm: cumKm[cumKm.length - 1] as number,
  });
}

/** The same road driven the other way. */
export function reverseRoute(route: Route): Route {
  const waypoints = [...route.waypoints].reverse();
  return withDistances(`${route.to.id}--${route.from.id}`, route.to, route.from, waypoints);
}

function cityOrThrow(id: string): City {
  const city = findCity(id);
  if (!city) throw new VigilError('VIGIL_ERR_NOT_FOUND', `unknown city ${id}`);
  return city;
}

/** The corridor road between two cities (either order), or a direct road if no corridor is listed. */
export function routeBetween(fromId: string, toId: string): Route {
  const from = cityOrThrow(fromId);
  const to = cityOrThrow(toId);
  const corridor = CORRIDORS.find(
    (c) => (c.a === fromId && c.b === toId) || (c.a === toId && c.b === fromId),
  );
  if (!corridor) return buildRoute(from, to);
  const via = corridor.a === fromId ? corridor.via : [...corridor.via].reverse();
  return buildRoute(from, to, via);
}

let builtCorridorRoutes: readonly Route[] | undefined;

/** Every corridor in both directions (built once, then shared: routes are immutable). */
export function allCorridorRoutes(): readonly Route[] {
  builtCorridorRoutes ??= Object.freeze(
    CORRIDORS.flatMap((c) => [routeBetween(c.a, c.b), routeBetween(c.b, c.a)]),
  );
  return builtCorridorRoutes;
}

/** Position after `km` along the route (clamped to the route's ends). */
export function positionAt(route: Route, km: number): RoutePosition {
  const { waypoints, cumKm, lengthKm } = route;
  const d = Math.max(0, Math.min(lengthKm, km));
  // binary search for the segment [lo, lo + 1] holding d
  let lo = 0;
  let hi = cumKm.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((cumKm[mid] as number) <= d) lo = mid;
    else hi = mid;
  }
  const a = waypoints[lo] as LatLon;
  const b = waypoints[hi] as LatLon;
  const segKm = (cumKm[hi] as number) - (cumKm[lo] as number);
  const t = segKm > 0 ? (d - (cumKm[lo] as number)) / segKm : 0;
  return {
    lat: a.lat + (b.lat - a.lat) * t,
    lon: a.lon + (b.lon - a.lon) * t,
    km: d,
    fraction: lengthKm > 0 ? d / lengthKm : 1,
    bearingDeg: bearingDeg(a, b),
  };
}

/** Shortest distance from a point to the route's polyline. */
export function distanceToRouteKm(route: Route, p: LatLon): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 1; i < route.waypoints.length; i++) {
    best = Math.min(
      best,
      distanceToSegmentKm(p, route.waypoints[i - 1] as LatLon, route.waypoints[i] as LatLon),
    );
  }
  return best;
}

/** Unordered pairs of listed cities whose great-circle distance is at most `maxKm`. */
export function nearbyCityPairs(maxKm: number): Array<[City, City]> {
  const out: Array<[City, City]> = [];
  for (let i = 0; i < CITIES.length; i++) {
    for (let j = i + 1; j < CITIES.length; j++) {
      const a = CITIES[i] as City;
      const b = CITIES[j] as City;
      if (haversineKm(a, b) <= maxKm) out.push([a, b]);
    }
  }
  return out;
}
