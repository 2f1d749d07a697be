import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { distanceKm, etaFromProgress, progressKm } from '../web/src/route-eta.ts';

const H = 3_600_000;
// Along the equator: one degree of longitude is 111.19 km.
const route = [
  { lat: 0, lon: 0 },
  { lat: 0, lon: 1 },
  { lat: 0, lon: 2 },
];

describe('dashboard: arrival estimate from route progress', () => {
  it('measures distance on the sphere', () => {
    assert.ok(Math.abs(distanceKm({ lat: 0, lon: 0 }, { lat: 0, lon: 1 }) - 111.19) < 0.01);
  });

  it('places a fix beside the route at its nearest point', () => {
    const p = progressKm(route, { lat: 0.01, lon: 1.5 });
    assert.ok(Math.abs(p.alongKm - 166.8) < 0.1);
    assert.ok(Math.abs(p.totalKm - 222.4) < 0.1);
    assert.ok(p.offKm < 1.2);
  });

  it('projects the average speed since dispatch over what is left', () => {
    // Halfway after 2 h: 2 h more.
    assert.equal(etaFromProgress(route, { lat: 0, lon: 1, ts: 2 * H }, 0), 4 * H);
  });

  it('tells nothing before progress, without a route, or far off the route', () => {
    assert.equal(etaFromProgress(route, { lat: 0, lon: 0.001, ts: H }, 0), null);
    assert.equal(etaFromProgress(route.slice(0, 1), { lat: 0, lon: 1, ts: H }, 0), null);
    assert.equal(etaFromProgress(route, { lat: 1, lon: 1, ts: H }, 0), null);
  });
});
