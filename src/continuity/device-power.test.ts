import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateRuntime, shipmentPowerWarnings } from './device-power.ts';

const H = 3_600_000;

describe('device battery runtime', () => {
  it('estimates the runtime from the discharge slope', () => {
    // 60 % falling 10 % per hour, sampled every 10 minutes for 2 h
    const points = Array.from({ length: 13 }, (_, i) => ({ ts: i * 10 * 60_000, batPct: 80 - (i * 10) / 6 }));
    const e = estimateRuntime(points);
    assert.ok(e);
    assert.ok(Math.abs(e.slopePctPerHour + 10) < 1e-9);
    assert.ok(Math.abs((e.runtimeHours ?? 0) - 6) < 1e-9);
    assert.equal(e.emptyAt, 2 * H + 6 * H);
  });

  it('gives no runtime when charging or with too little data', () => {
    assert.equal(estimateRuntime([{ ts: 0, batPct: 50 }]), null);
    assert.equal(
      estimateRuntime([0, 1, 2].map((i) => ({ ts: i * 60_000, batPct: 50 - i }))),
      null,
      'under 10 min',
    );
    assert.equal(estimateRuntime([0, 1, 2].map((i) => ({ ts: i * H, batPct: 50 + i })))?.runtimeHours, null);
  });

  it('warns about an in-transit shipment whose logger empties before the planned arrival', () => {
    const w = shipmentPowerWarnings(
      [
        { id: 'shp-a', deviceId: 'd1', eta: 10 * H },
        { id: 'shp-b', deviceId: 'd2', eta: 10 * H },
        { id: 'shp-c', deviceId: 'd3', eta: null },
      ],
      (id) => ({ d1: 8 * H, d2: 12 * H, d3: 1 })[id] ?? null,
    );
    assert.deepEqual(w, [{ shipmentId: 'shp-a', deviceId: 'd1', plannedArrival: 10 * H, emptyAt: 8 * H }]);
  });
});
