import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildMessage, type MessageFacts } from './notification-message.ts';

const T = Date.UTC(2026, 11, 7, 9, 0);

const facts = (over: Partial<MessageFacts> = {}): MessageFacts => ({
  alarm: {
    id: 'sim-truck-001/critical:above/1',
    rule: 'critical:above',
    subject: 'sim-truck-001',
    severity: 'critical',
    state: 'open',
    startedAt: T - 75 * 60_000,
    raisedAt: T - 15 * 60_000,
    resolvedAt: null,
    message: 'above 8 °C for 60 min',
    peak: 9.04,
    unit: 'C',
    detectedLate: false,
  },
  level: 'critical',
  deviceProfile: 'vaccine-transport',
  shipment: { id: 'shp-abcdefghij', profile: 'refrigerated', lots: ['LOT-1', 'LOT-2'], batchId: 'B-77' },
  limit: 8,
  event: 'raised',
  dashboardUrl: 'https://vigil.example:8443/',
  includePatientFields: false,
  now: T,
  ...over,
});

describe('notification message', () => {
  it('carries device, shipment, batch, value, limit, duration and a link', () => {
    const m = buildMessage(facts());
    assert.equal(m.subject, '[Vigil CRITICAL] critical above on sim-truck-001 (shp-abcdefghij): 9 °C');
    for (const want of [
      'Device: sim-truck-001',
      'Shipment: shp-abcdefghij',
      'batch B-77; lots LOT-1, LOT-2',
      'Value: 9 °C',
      'Limit: 8 °C',
      'Duration: 1 h 15 min',
    ]) {
      assert.ok(m.text.includes(want), `${want} in\n${m.text}`);
    }
    assert.equal(m.link, 'https://vigil.example:8443/#/alarms?alarm=sim-truck-001%2Fcritical%3Aabove%2F1');
    assert.ok(m.short.length <= 300 && m.short.includes(m.link));
    assert.deepEqual(
      [m.data.alarm.durationMs, m.data.alarm.limit, m.data.alarm.startedAt],
      [75 * 60_000, 8, new Date(T - 75 * 60_000).toISOString()],
    );
  });

  it('shows no patient values or alarm text for a patient monitor unless the site allows it', () => {
    const vitals = facts({
      deviceProfile: 'patient-vitals',
      shipment: null,
      limit: null,
      alarm: {
        ...facts().alarm,
        rule: 'news2',
        subject: 'sim-vitals-001',
        message: 'NEWS2 7: SpO2 88 %, HR 131',
        peak: 7,
        unit: 'score',
      },
    });
    const closed = buildMessage(vitals);
    const all = JSON.stringify(closed);
    assert.ok(!/SpO2|131|88/.test(all), all);
    assert.equal(closed.data.alarm.value, null);
    assert.ok(closed.text.includes('Patient values are shown in the dashboard only.'));
    const open = buildMessage({ ...vitals, includePatientFields: true });
    assert.ok(open.text.includes('SpO2 88 %') && open.data.alarm.value === 7);
  });

  it('puts subject lines on one line whatever the alarm text holds', () => {
    const m = buildMessage(
      facts({ alarm: { ...facts().alarm, subject: 'sim-truck-001', rule: 'odd\r\nBcc: x@example.org' } }),
    );
    assert.ok(!/[\r\n]/.test(m.subject), m.subject);
  });
});
