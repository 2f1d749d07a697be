import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Reading } from './rule.ts';
import { createRuleEngine } from './rule-engine.ts';
import { vitalsRules } from './rule-sets.ts';
import { at, brief, ofRule, reading } from './rules.fixture.ts';

const healthy = {
  hr_bpm: 72,
  spo2_pct: 97,
  rr_bpm: 16,
  sbp_mmhg: 122,
  temp_c: 36.8,
  on_oxygen: false,
  consciousness: 'A',
};

function live(samples: readonly Record<string, unknown>[]) {
  const e = createRuleEngine({ rules: vitalsRules() });
  const rs: Reading[] = samples.map((d, m) => reading(m, d));
  return rs.flatMap((r) => e.ingest('bed-12', [r], r.ts).transitions);
}

describe('vitals rules', () => {
  it('a healthy patient raises nothing', () => {
    assert.deepEqual(live([healthy, healthy, { ...healthy, hr_bpm: 88 }]), []);
  });

  it('NEWS2: a single red parameter opens a warning; rising to 7 makes it critical; it resolves when low again', () => {
    const out = ofRule(
      live([
        healthy,
        { ...healthy, rr_bpm: 26 }, // 3: low-medium
        { ...healthy, rr_bpm: 26, sbp_mmhg: 95, temp_c: 39.5 }, // 3 + 2 + 2 = 7: high
        healthy,
      ]),
      'news2',
    );
    assert.deepEqual(
      out.map((t) => [t.type, t.alarm.severity, t.alarm.peak]),
      [
        ['opened', 'warning', 3],
        ['updated', 'critical', 7],
        ['resolved', 'critical', 7],
      ],
    );
    assert.deepEqual(brief(out.slice(2)), ['resolved news2 start=1 raised=1 resolved=3']);
  });

  it('range checks: heart rate, body temperature, SpO2 and signal strength', () => {
    const out = live([
      { ...healthy, hr_bpm: 131 },
      { ...healthy, hr_bpm: 130, temp_c: 35.0 },
      { ...healthy, spo2_pct: 91, rssi_dbm: -101 },
      { ...healthy, rssi_dbm: -100 },
    ]);
    assert.deepEqual(
      out
        .filter((t) => t.type === 'opened')
        .map((t) => `${t.alarm.rule}@${(t.alarm.raisedAt - at(0)) / 60_000}=${t.alarm.peak}`),
      // NEWS2 stays open throughout: 3, then 5 (pulse 2 + temperature 3), then 3 (SpO2)
      ['news2@0=3', 'heart-rate@0=131', 'body-temperature@1=35', 'spo2-low@2=91', 'signal-weak@2=-101'],
    );
  });

  it('missing fields: names the absent fields and resolves on a complete sample', () => {
    const { consciousness: _c, ...noAcvpu } = healthy;
    const out = ofRule(
      live([healthy, noAcvpu, { ...noAcvpu, hr_bpm: undefined }, healthy]),
      'missing-fields',
    );
    assert.deepEqual(
      out.map((t) => [t.type, t.alarm.peak]),
      [
        ['opened', 1],
        ['updated', 2],
        ['resolved', 2],
      ],
    );
    assert.match(out[2]?.alarm.message ?? '', /hr_bpm, consciousness/);
  });

  it('battery below 20 % on a monitor', () => {
    const out = ofRule(
      live([
        { ...healthy, bat_pct: 50 },
        { ...healthy, bat_pct: 18 },
      ]),
      'battery-low',
    );
    assert.deepEqual(brief(out), ['opened battery-low start=1 raised=1 resolved=-']);
  });
});
