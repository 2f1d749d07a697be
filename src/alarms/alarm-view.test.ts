import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AlarmRecord } from './alarm-store.ts';
import { alarmSchema, alarmView } from './alarm-view.ts';

const T = Date.UTC(2026, 0, 5, 6, 0, 0);

function record(over: Partial<AlarmRecord> = {}): AlarmRecord {
  return {
    id: 'truck-0001/heat/1',
    rule: 'heat',
    subject: 'truck-0001',
    kind: 'rule',
    state: 'acknowledged',
    startedAt: T,
    raisedAt: T + 60_000,
    detectedAt: T + 61_000,
    resolvedAt: null,
    detectedLate: false,
    severity: 'critical',
    message: 'above 8.0 °C',
    peak: 9.5,
    unit: '°C',
    ack: { by: 'user:quinn', at: T + 120_000, reason: 'door left open', meaning: 'reviewed' },
    disproved: null,
    detail: { limit: 8, secretish: 'stays server-side' },
    updatedAt: T + 120_000,
    ...over,
  };
}

describe('alarm view', () => {
  it('keeps detail server-side and passes the API schema', () => {
    const v = alarmView(record());
    assert.equal('detail' in v, false);
    assert.equal('updatedAt' in v, false);
    assert.deepEqual(alarmSchema.parse(v), v);
  });

  it('shows an acknowledgement made before e-signatures with null name and role', () => {
    const v = alarmView(record());
    assert.equal(v.ack?.name, null);
    assert.equal(v.ack?.role, null);
  });

  it('shows every time as ISO 8601 UTC with milliseconds, null staying null', () => {
    const v = alarmView(record({ resolvedAt: T + 600_000 }));
    assert.equal(v.startedAt, '2026-01-05T06:00:00.000Z');
    assert.equal(v.raisedAt, '2026-01-05T06:01:00.000Z');
    assert.equal(v.detectedAt, '2026-01-05T06:01:01.000Z');
    assert.equal(v.resolvedAt, '2026-01-05T06:10:00.000Z');
    assert.equal(v.ack?.at, '2026-01-05T06:02:00.000Z');
    assert.equal(v.peak, 9.5);
    assert.equal(alarmView(record({ ack: null })).ack, null);
    assert.equal(alarmView(record({ resolvedAt: null })).resolvedAt, null);
    assert.equal(v.disproved, null);
  });

  it('shows a disproved alarm with when and why', () => {
    const a = record({ state: 'resolved', disproved: { at: T + 900_000, reason: 'back in range at 06:05' } });
    const v = alarmView(a);
    assert.deepEqual(v.disproved, { at: '2026-01-05T06:15:00.000Z', reason: 'back in range at 06:05' });
    assert.deepEqual(alarmSchema.parse(v), v);
  });

  it('names the tier of a temperature alarm and none for other rules', () => {
    assert.equal(alarmView(record({ rule: 'heat' })).tier, 'regulatory');
    assert.equal(alarmView(record({ rule: 'budget:above-8' })).tier, 'regulatory');
    assert.equal(alarmView(record({ rule: 'warning:above' })).tier, 'warning');
    assert.equal(alarmView(record({ rule: 'critical:below' })).tier, 'critical');
    assert.equal(alarmView(record({ rule: 'door' })).tier, null);
    assert.equal(alarmView(record({ rule: 'warning:below' })).tier, 'warning');
  });
});
