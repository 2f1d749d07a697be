import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { news2 } from '../src/rules/news2.ts';
import { news2Series, scorePoint } from '../web/src/news2-score.ts';
import { excursionsFrom, normShipment, tripWindow } from '../web/src/shipment-normalize.ts';

const H = 3_600_000;

/** `GET /api/v1/shipments/:id` as src/api/routes/shipments.ts answers it. */
const detail = {
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
    dispatch: { at: 1000, batchId: 'B-1', receivedAt: 2000 },
    delivery: { at: 12 * H, by: 'user:rita', lat: 51.2, lon: 4.4, fixAt: 12 * H - 5 },
    closedAt: null,
    decision: null,
    createdAt: 500,
    createdBy: 'user:dan',
    updatedAt: 12 * H,
  },
  profile: { name: 'refrigerated', preset: 'refrigerated', lowerC: 2, upperC: 8 },
  trip: { from: 1000, to: 12 * H },
  summary: {
    readings: 72,
    truncated: false,
    minC: 4.2,
    maxC: 10.6,
    mktC: 9.56,
    timeOutOfRange: { aboveMs: 10.5 * H, belowMs: 0 },
    excursions: [
      { kind: 'above', start: H, end: 11.5 * H, durationMs: 10.5 * H, peakC: 10.6, ongoing: false },
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
      startedAt: H,
      raisedAt: 11 * H,
      detectedAt: 12 * H,
      resolvedAt: 11.5 * H,
      detectedLate: true,
      message: 'Temperature above 8 °C',
      peak: 10.6,
      unit: 'C',
      ack: null,
    },
  ],
  custody: [{ at: 1000, action: 'shipment.dispatch', actor: 'device:truck-0007', detail: { batch: 'B-1' } }],
};

describe('dashboard: shipments as the pages read them', () => {
  it('reads the detail answer: profile range, summary figures, excursions, alarms and custody', () => {
    const s = normShipment(detail);
    assert.ok(s);
    assert.equal(s.id, 'shp-abcdefghij');
    assert.equal(s.deviceId, 'truck-0007');
    assert.deepEqual(s.range, { lowerC: 2, upperC: 8 });
    assert.equal(s.profileName, 'refrigerated');
    assert.equal(s.mktC, 9.56);
    assert.equal(s.timeOutMs, 10.5 * H);
    assert.equal(s.readingCount, 72);
    assert.deepEqual(
      s.excursions?.map((e) => [e.kind, e.start, e.end, e.peakC]),
      [['above', H, 11.5 * H, 10.6]],
    );
    assert.equal(s.alarms?.length, 1);
    assert.equal(s.alarms?.[0]?.endedAt, 11.5 * H);
    assert.equal(s.alarmCount, 1);
    assert.deepEqual(s.dispatch, { at: 1000, batchId: 'B-1', receivedAt: 2000 });
    assert.equal(s.delivery?.by, 'user:rita');
    assert.equal(s.plannedRoute.length, 2);
    assert.deepEqual(s.destination, { name: 'Antwerp', lat: null, lon: null });
    assert.deepEqual(tripWindow(s), { from: 1000, to: 12 * H });
    assert.equal(s.custody?.[0]?.action, 'shipment.dispatch');
  });

  it('reads the snake_case view of `vigil shipment show --json` alike', () => {
    const s = normShipment({
      id: 'shp-abcdefghij',
      state: 'in_transit',
      device: 'truck-0007',
      profile: 'frozen',
      dispatch: { at: '1970-01-01T00:00:01.000Z', batch_id: 'B-1', received_at: null },
      profile_limits: { name: 'frozen', lower_c: -25, upper_c: -15 },
      mkt_c: -18.2,
      time_out_of_range: { above_ms: 60_000, below_ms: 0 },
      excursions: [
        { kind: 'above', start: '1970-01-01T00:00:02.000Z', end: '1970-01-01T00:00:03.000Z', peak_c: -12 },
      ],
      alarms: [{ id: 'a', rule: 'heat', subject: 'truck-0007', state: 'open', started_at: 2000 }],
    });
    assert.ok(s);
    assert.equal(s.deviceId, 'truck-0007');
    assert.deepEqual(s.range, { lowerC: -25, upperC: -15 });
    assert.equal(s.mktC, -18.2);
    assert.equal(s.timeOutMs, 60_000);
    assert.equal(s.dispatch?.batchId, 'B-1');
    assert.equal(s.dispatch?.at, 1000);
    assert.deepEqual(
      s.excursions?.map((e) => [e.start, e.end, e.peakC]),
      [[2000, 3000, -12]],
    );
    assert.equal(s.alarms?.[0]?.startedAt, 2000);
  });

  it('reads a list row without a summary as unknown figures, not zeros', () => {
    const s = normShipment(detail.shipment);
    assert.ok(s);
    assert.equal(s.mktC, null);
    assert.equal(s.alarmCount, null);
    assert.equal(s.excursions, null);
    // The preset's range stands in for the resolved profile.
    assert.deepEqual(s.range, { lowerC: 2, upperC: 8 });
  });

  it('derives excursions from a series when the server sent none', () => {
    const pts = [4, 9, 10, 5, 1, 1.5, 3].map((tempC, i) => ({ ts: i * 10, tempC }));
    const ex = excursionsFrom(pts, { lowerC: 2, upperC: 8 });
    assert.deepEqual(
      ex.map((e) => [e.kind, e.start, e.end, e.peakC, e.ongoing]),
      [
        ['above', 10, 30, 10, false],
        ['below', 40, 60, 1, false],
      ],
    );
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
    const p = scorePoint({ ts: 1, backfill: false, values: vitals, min: null, max: null });
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
      ts: 1,
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
        { ts: 1, backfill: false, values: partial, min: null, max: null },
        { ts: 2, backfill: false, values: vitals, min: null, max: null },
      ],
      gaps: [],
      downsampled: false,
      bucketMs: null,
    });
    assert.deepEqual(
      out.map((p) => p.ts),
      [2],
    );
  });
});
