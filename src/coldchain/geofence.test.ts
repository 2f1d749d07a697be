import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { distanceToRouteKm, distanceToSegmentKm, EARTH_RADIUS_KM, haversineKm } from './geofence.ts';

const DEG_KM = (EARTH_RADIUS_KM * Math.PI) / 180; // 111.19508 km

describe('geofence distances', () => {
  it('one degree of latitude is πR/180', () => {
    assert.ok(Math.abs(haversineKm({ lat: 10, lon: 20 }, { lat: 11, lon: 20 }) - DEG_KM) < 1e-9);
  });

  it('cross-track distance to an equator segment is the latitude arc', () => {
    const d = distanceToSegmentKm({ lat: 1, lon: 5 }, { lat: 0, lon: 0 }, { lat: 0, lon: 10 });
    assert.ok(Math.abs(d - DEG_KM) < 1e-9, String(d));
    const south = distanceToSegmentKm({ lat: -0.5, lon: 3 }, { lat: 0, lon: 0 }, { lat: 0, lon: 10 });
    assert.ok(Math.abs(south - DEG_KM / 2) < 1e-9);
  });

  it('beyond a segment end the distance is to that end', () => {
    const d = distanceToSegmentKm({ lat: 0, lon: -1 }, { lat: 0, lon: 0 }, { lat: 0, lon: 10 });
    assert.ok(Math.abs(d - DEG_KM) < 1e-9);
    const e = distanceToSegmentKm({ lat: 1, lon: 11 }, { lat: 0, lon: 0 }, { lat: 0, lon: 10 });
    assert.ok(Math.abs(e - haversineKm({ lat: 1, lon: 11 }, { lat: 0, lon: 10 })) < 1e-9);
  });

  it('takes the nearest segment of a polyline; a one-point route is that point', () => {
    const route = [
      { lat: 0, lon: 0 },
      { lat: 0, lon: 10 },
      { lat: 10, lon: 10 },
    ];
    assert.ok(
      Math.abs(
        distanceToRouteKm({ lat: 5, lon: 10.5 }, route) -
          haversineKm({ lat: 5, lon: 10.5 }, { lat: 5, lon: 10 }),
      ) < 0.01,
    );
    assert.ok(distanceToRouteKm({ lat: 0, lon: 4 }, route) < 1e-9);
    assert.equal(
      distanceToRouteKm({ lat: 1, lon: 0 }, [{ lat: 0, lon: 0 }]),
      haversineKm({ lat: 1, lon: 0 }, { lat: 0, lon: 0 }),
    );
    assert.throws(() => distanceToRouteKm({ lat: 0, lon: 0 }, []), RangeError);
  });
});
