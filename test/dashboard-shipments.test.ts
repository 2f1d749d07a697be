import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ShipmentDetailView } from '../src/api/contract.ts';
import { shipmentDetailSchema } from '../src/api/shipment-schemas.ts';
import { news2 } from '../src/rules/news2.ts';
import { news2Series, scorePoint } from '../web/src/news2-score.ts';
import { profileLabel, rangeOf, timeOutMs, tripWindow } from '../web/src/shipment-view.ts';

const H = 3_600_000;
/** ms as the API writes times: ISO 8601 UTC. */
const t = (ms: number) => new Date(ms).toISOString();

/** `GET /api/v1/shipments/:id` as src/api/routes/shipments.ts answers it. */
const detail: ShipmentDetailView = {
  shipment: {
    id: 'shp-abcdefghij',
    deviceId: 'truck-0007',
    state: 'delivered',
    profile: 'refrigerated',
    batches: [{ lot: 'MMR-1', product: 'MMR vaccine', quantity: 10, vvm: 'VVM14' }],
    origin: { name: 'Amsterdam', lat: 52.37, lon: 4.9 },
    destination: { name: 'Antwerp' },
    plannedRoute: [
      { lat: 52.37, lon: 4.9 },
      { lat: 51.22, lon: 4.4 },
    ],
    eta: null,
    dispatch: { at: t(1000), batchId: 'B-1', receivedAt: t(2000) },
    delivery: { at: t(12 * H), by: 'user:rita', lat: 51.2, lon: 4.4, fixAt: t(12 * H - 5) },
    closedAt: null,
    decision: null,
    createdAt: t(500),
    createdBy: 'user:dan',
    updatedAt: t(12 * H),
  },
  profile: {
    name: 'refrigerated',
    preset: 'refrigerated',
    lowerC: 2,
    upperC: 8,
    policy: {
      warning: { above: null, below: null },
      critical: { above: null, below: null },
      regulatory: {
        heat: { limitC: 8, inclusive: false, durationMs: 0 },
        freeze: { limitC: 0, inclusive: true, durationMs: 0 },
        budgets: [],
      },
      hysteresisC: 0.2,
      mergeGapMinutes: 0,
      overrides: [],
    },
  },
  trip: { from: t(1000), to: t(12 * H) },
  summary: {
    readings: 72,
    truncated: false,
    minC: 4.2,
    maxC: 10.6,
    mktC: 9.56,
    timeOutOfRange: { aboveMs: 10.5 * H, belowMs: 0 },
    excursions: [
      {
        kind: 'above',
        start: t(H),
        end: t(11.5 * H),
        durationMs: 10.5 * H,
        peakC: 10.6,
        ongoing: false,
        parts: 1,
      },
    ],
    gaps: [],
  },
  alarms: [
    {
      id: 'truck-0007/heat/1',
      rule: 'heat',
      subject: 'truck-0007',
      kind: 'rule',
      state: 'resolved',
      severity: 'critical',
      startedAt: t(H),
      raisedAt: t(11 * H),
      detectedAt: t(12 * H),
      resolvedAt: t(11.5 * H),
      detectedLate: true,
      message: 'Temperature above 8 °C',
      peak: 10.6,
      unit: 'C',
      ack: null,
      disproved: null,
      tier: 'regulatory',
    },
  ],
  custody: [
    { at: t(1000), action: 'shipment.dispatch', actor: 'device:truck-0007', detail: { batch: 'B-1' } },
  ],
};

describe('dashboard: shipments as the pages read them', () => {
  it("the fixture is what the API serialises: it passes the route's own response schema", () => {
    assert.deepEqual(shipmentDetailSchema.parse(detail), detail);
  });

  it('takes the range from the resolved profile, the figures from the summary', () => {
    assert.deepEqual(rangeOf(detail.shipment, detail), { lowerC: 2, upperC: 8 });
    assert.equal(profileLabel(detail.shipment, detail), 'Refrigerated 2–8 °C');
    assert.equal(timeOutMs(detail), 10.5 * H);
    assert.deepEqual(tripWindow(detail), { from: 1000, to: 12 * H });
  });

  it('labels a list row by its preset, and a custom profile by its name and range', () => {
    assert.deepEqual(rangeOf({ profile: 'frozen' }), { lowerC: -25, upperC: -15 });
    assert.equal(profileLabel({ profile: 'frozen' }), 'Frozen −25 to −15 °C');
    const custom = { profile: { preset: 'custom', name: 'Insulin', lowerC: 2, upperC: 6 } };
    assert.deepEqual(rangeOf(custom), { lowerC: 2, upperC: 6 });
    assert.equal(profileLabel(custom), 'Insulin 2 to 6 °C');
  });

  it('runs the trip window of a shipment in transit up to now', () => {
    const inTransit: ShipmentDetailView = {
      ...detail,
      shipment: { ...detail.shipment, state: 'in_transit', delivery: null },
      trip: { from: t(1000), to: t(5000) },
    };
    assert.deepEqual(tripWindow(inTransit, 9 * H), { from: 1000, to: 9 * H });
  });
});

describe('dashboard: NEWS2 trend scoring', () => {
  const vitals = {
    hr_bpm: 118,
    spo2_pct: 93,
    rr_bpm: 22,
    sbp_mmhg: 105,
    temp_c: 38.4,
    on_oxygen: false,
    consciousness: 'A',
  };

  it('scores a raw reading exactly as the server does', () => {
    const p = scorePoint({ ts: t(1), n: 1, backfill: false, values: vitals });
    const server = news2({
      respirationRate: 22,
      spo2Pct: 93,
      onOxygen: false,
      systolicBp: 105,
      pulse: 118,
      consciousness: 'A',
      temperatureC: 38.4,
    });
    assert.equal(p?.total, server.total);
    assert.equal(p?.total, 2 + 2 + 0 + 1 + 2 + 0 + 1);
    assert.equal(p?.band, 'high');
  });

  it('scores a downsampled bucket on the worst value of each vital', () => {
    const calm = { ...vitals, hr_bpm: 70, spo2_pct: 97, rr_bpm: 16, sbp_mmhg: 120, temp_c: 37 };
    // The mean looks calm; the bucket's minimum SpO2 (90) scores 3, its maximum pulse (135) 3.
    const p = scorePoint({
      ts: t(1),
      n: 4,
      backfill: false,
      values: calm,
      min: { hr_bpm: 60, spo2_pct: 90, rr_bpm: 14, sbp_mmhg: 115, temp_c: 36.8 },
      max: { hr_bpm: 135, spo2_pct: 98, rr_bpm: 18, sbp_mmhg: 125, temp_c: 37.2 },
    });
    assert.equal(p?.parameters.spo2, 3);
    assert.equal(p?.parameters.pulse, 3);
    assert.equal(p?.total, 6);
    assert.equal(p?.redScore, true);
    assert.equal(p?.band, 'medium');
  });

  it('skips readings that lack a NEWS2 parameter', () => {
    const { consciousness: _c, ...partial } = vitals;
    const out = news2Series({
      points: [
        { ts: t(1), n: 1, backfill: false, values: partial },
        { ts: t(2), n: 1, backfill: false, values: vitals },
      ],
      gaps: [],
      downsampled: false,
      bucketMs: null,
      deviceId: 'bed-1',
      from: t(0),
      to: t(3),
      maxPoints: 1000,
      count: 2,
      medianIntervalMs: 1,
      truncated: false,
      gapsOmitted: 0,
    });
    assert.deepEqual(
      out.map((p) => p.ts),
      [2],
    );
  });
});

describe('dashboard: profile labels', () => {
  it('says a preset once, with its range, whatever name the server resolved', () => {
    const d: ShipmentDetailView = { ...detail, profile: { ...detail.profile, name: 'Refrigerated 2-8 °C' } };
    assert.equal(profileLabel(d.shipment, d), 'Refrigerated 2–8 °C');
  });

  it('adds the range when a preset was narrowed', () => {
    const d: ShipmentDetailView = { ...detail, profile: { ...detail.profile, lowerC: 2, upperC: 6 } };
    assert.equal(profileLabel(d.shipment, d), 'refrigerated 2 to 6 °C');
  });
});
