import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normAlarm, normDevice, normReading, normSeries, toMs } from '../web/src/normalize.ts';

describe('dashboard: API answers as the pages read them', () => {
  it('reads a reading with nested data (server) and with flat fields (docs/api.md) alike', () => {
    const nested = normReading({
      ts: 1000,
      receivedAt: 1200,
      backfill: true,
      seq: 4,
      data: { temp_c: 4.6, power: 'mains' },
    });
    const flat = normReading({ ts: '1970-01-01T00:00:01Z', backfill: true, temp_c: 4.6, power: 'mains' });
    assert.deepEqual(nested, {
      ts: 1000,
      receivedAt: 1200,
      backfill: true,
      data: { temp_c: 4.6, power: 'mains' },
    });
    assert.deepEqual(flat?.data, { temp_c: 4.6, power: 'mains' });
    assert.equal(flat?.ts, 1000);
  });

  it('marks a device list entry without `latest` so the detail is fetched', () => {
    const bare = normDevice({
      id: 'truck-1',
      profile: 'vaccine-transport',
      status: 'enabled',
      online: true,
      lastSeenAt: 5,
    });
    const full = normDevice({ id: 'truck-1', profile: 'vaccine-transport', latest: null, alarm: 'open' });
    assert.equal(bare?.hasLatest, false);
    assert.equal(full?.hasLatest, true);
    assert.equal(full?.device.alarm, 'open');
    const detail = normDevice({
      device: { id: 'p-1', profile: 'temperature-probe' },
      latest: { ts: 9, data: { temp_c: 5 } },
    });
    assert.equal(detail?.device.latest?.data.temp_c, 5);
  });

  it('sorts series points and keeps gaps, min and max', () => {
    const s = normSeries({
      points: [
        { ts: 20, n: 3, backfill: false, values: { temp_c: 5 }, min: { temp_c: 4 }, max: { temp_c: 6 } },
        { ts: 10, n: 1, backfill: true, values: { temp_c: 3 } },
      ],
      gaps: [{ from: 11, to: 19 }],
      downsampled: true,
      bucketMs: 10,
    });
    assert.deepEqual(
      s.points.map((p) => [p.ts, p.backfill]),
      [
        [10, true],
        [20, false],
      ],
    );
    assert.deepEqual(s.points[1]?.max, { temp_c: 6 });
    assert.deepEqual(s.gaps, [{ from: 11, to: 19 }]);
  });

  it('reads an alarm acknowledgement and ignores malformed entries', () => {
    const a = normAlarm({
      id: 7,
      rule: 'heat',
      subject: 'truck-1',
      state: 'open',
      ack: { by: 'quality', at: 3, reason: 'ok' },
    });
    assert.deepEqual(a?.ack, { by: 'quality', at: 3, reason: 'ok' });
    assert.equal(a?.id, '7');
    assert.equal(normAlarm({ rule: 'no id' }), null);
    assert.equal(toMs('not a date'), null);
  });
});
