import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VigilError } from '../../errors.ts';
import { CITIES, findCity } from './cities.ts';
import { haversineKm } from './geo.ts';
import {
  allCorridorRoutes,
  CORRIDORS,
  distanceToRouteKm,
  nearbyCityPairs,
  positionAt,
  reverseRoute,
  routeBetween,
} from './routes.ts';

describe('cities', () => {
  it('lists about 25+ unique cities on every target continent with sane coordinates', () => {
    assert.ok(CITIES.length >= 25);
    assert.equal(new Set(CITIES.map((c) => c.id)).size, CITIES.length);
    for (const region of ['europe', 'africa', 'south-asia', 'southeast-asia', 'latin-america']) {
      assert.ok(
        CITIES.some((c) => c.region === region),
        region,
      );
    }
    for (const c of CITIES) {
      assert.match(c.id, /^[a-z][a-z-]+$/);
      assert.ok(Math.abs(c.lat) <= 60 && Math.abs(c.lon) <= 180, c.id);
    }
    for (const id of [
      'amsterdam',
      'brussels',
      'nairobi',
      'kampala',
      'lagos',
      'accra',
      'dakar',
      'addis-ababa',
    ]) {
      assert.ok(findCity(id), id);
    }
  });
});

describe('routes', () => {
  it('joins every corridor end to end with a road 0–40 % longer than the great circle', () => {
    for (const route of allCorridorRoutes()) {
      const first = route.waypoints[0]!;
      const last = route.waypoints.at(-1)!;
      assert.ok(haversineKm(first, route.from) < 1e-6, route.id);
      assert.ok(haversineKm(last, route.to) < 1e-6, route.id);
      const direct = haversineKm(route.from, route.to);
      assert.ok(route.lengthKm >= direct && route.lengthKm <= direct * 1.4, `${route.id} ${route.lengthKm}`);
      assert.ok(route.lengthKm < 800, `${route.id} is not a nearby pair`);
      assert.equal(route.cumKm.length, route.waypoints.length);
      for (let i = 1; i < route.cumKm.length; i++) assert.ok(route.cumKm[i]! > route.cumKm[i - 1]!);
      assert.equal(route.cumKm.at(-1), route.lengthKm);
    }
    assert.equal(allCorridorRoutes().length, CORRIDORS.length * 2);
  });

  it('is the same road in both directions and identical on every build', () => {
    const there = routeBetween('nairobi', 'kampala');
    const back = routeBetween('kampala', 'nairobi');
    assert.deepEqual(back.waypoints, [...there.waypoints].reverse());
    assert.ok(Math.abs(back.lengthKm - there.lengthKm) < 1e-9);
    assert.deepEqual(routeBetween('nairobi', 'kampala'), there);
    assert.deepEqual(reverseRoute(there).waypoints, back.waypoints);
    assert.equal(back.id, 'kampala--nairobi');
  });

  it('places a vehicle on the road by distance, clamped to the ends', () => {
    const route = routeBetween('amsterdam', 'brussels');
    assert.deepEqual(
      [positionAt(route, -5).lat, positionAt(route, -5).lon],
      [route.from.lat, route.from.lon],
    );
    const end = positionAt(route, route.lengthKm + 10);
    assert.ok(haversineKm(end, route.to) < 1e-6);
    assert.equal(end.fraction, 1);
    let prev = positionAt(route, 0);
    for (let km = 1; km <= route.lengthKm; km += 1) {
      const p = positionAt(route, km);
      // 1 km further along the road is at most 1 km away (linear interpolation within a segment: 0.1 % slack)
      assert.ok(haversineKm(prev, p) <= 1.001, `at ${km}`);
      assert.ok(distanceToRouteKm(route, p) < 0.01);
      prev = p;
    }
  });

  it('builds a direct road between listed cities without a corridor', () => {
    const route = routeBetween('lagos', 'kumasi');
    assert.ok(route.lengthKm > haversineKm(route.from, route.to));
  });

  it('rejects an unknown city', () => {
    assert.throws(
      () => routeBetween('atlantis', 'brussels'),
      (e: unknown) => e instanceof VigilError && e.code === 'VIGIL_ERR_NOT_FOUND',
    );
  });

  it('finds nearby city pairs', () => {
    const ids = nearbyCityPairs(250).map(([a, b]) => `${a.id}/${b.id}`);
    assert.ok(ids.includes('amsterdam/brussels') || ids.includes('brussels/amsterdam'));
    assert.ok(!ids.some((p) => p.includes('lima') && p.includes('nairobi')));
  });
});
