import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presetProfile } from '../../coldchain/profiles.ts';
import { createRng, gaussian } from '../../random/rng.ts';
import type { AlarmTransition, Reading } from '../rule.ts';
import { createRuleEngine } from '../rule-engine.ts';
import { at, brief, MIN, T0 } from '../rules.fixture.ts';
import { temperatureSensorFaultRules, vitalsSensorFaultRules } from './sensor-fault-rules.ts';

const SEC = 1000;
const fridge = presetProfile('refrigerated');

/** A fridge probe every 10 s: 5 °C with 0.08 °C noise, rounded to 0.01 °C like the loggers. */
function probe(fromS: number, toS: number, seed: string, value?: (s: number) => number | undefined) {
  const rng = createRng(seed);
  const out: Reading[] = [];
  for (let s = fromS; s <= toS; s += 10) {
    const v = value?.(s) ?? 5 + gaussian(rng, 0, 0.08);
    out.push({ ts: T0 + s * SEC, data: { temp_c: Math.round(v * 100) / 100 } });
  }
  return out;
}

function run(rules: ReturnType<typeof temperatureSensorFaultRules>, readings: Reading[]): AlarmTransition[] {
  const engine = createRuleEngine({ rules });
  const out: AlarmTransition[] = [];
  for (const r of readings) out.push(...engine.ingest('dev-1', [r], r.ts).transitions);
  return out;
}

describe('sensor-fault rules', () => {
  it('flat line: catches a stuck series after 3 min with the constant in the message', () => {
    // live for 10 min, then stuck at 4.00 °C for 20 min, then live again
    const stuck = (s: number) => (s >= 600 && s < 1800 ? 4 : undefined);
    const ts = run(temperatureSensorFaultRules(fridge), probe(0, 3600, 'stuck', stuck));
    const flat = ts.filter((t) => t.alarm.rule === 'flat-line');
    assert.deepEqual(brief(flat), [
      'opened flat-line start=10 raised=13 resolved=-',
      'resolved flat-line start=10 raised=13 resolved=30',
    ]);
    assert.equal(flat[0]?.alarm.message, 'Sensor reads a constant 4.00 °C for 3 min: stuck or disconnected');
    assert.match(
      flat[1]?.alarm.message ?? '',
      /^Sensor reads a constant 4\.00 °C for 20 min: stuck or disconnected$/,
    );
    assert.equal(flat[1]?.alarm.peak, 20 * MIN);
    // nothing else fires on the live parts, and the step into and out of 4.00 °C is physical
    assert.deepEqual(
      ts.filter((t) => t.alarm.rule !== 'flat-line'),
      [],
    );
  });

  it('flat line: needs the minimum number of readings, not only the duration', () => {
    // one reading every 2 min at the same value: 3 min pass after 2 readings, 6 are needed
    const rs = [0, 2, 4, 6, 8, 10].map((m) => ({ ts: at(m), data: { temp_c: 5 } }));
    const ts = run(temperatureSensorFaultRules(fridge), rs);
    assert.deepEqual(brief(ts), ['opened flat-line start=0 raised=10 resolved=-']);
  });

  it('stays quiet on a week-like stretch of normal noisy readings', () => {
    const ts = run(temperatureSensorFaultRules(fridge), probe(0, 6 * 3600, 'quiet'));
    assert.deepEqual(ts, []);
  });

  it('impossible value: one dropout reading raises it at once, its return resolves it after the hold', () => {
    const drop = (s: number) => (s >= 600 && s < 660 ? -127 : undefined);
    const ts = run(temperatureSensorFaultRules(fridge), probe(0, 1800, 'drop', drop));
    assert.deepEqual(brief(ts), [
      'opened impossible-value start=10 raised=10 resolved=-',
      'resolved impossible-value start=10 raised=10 resolved=11',
    ]);
    assert.match(
      ts[0]?.alarm.message ?? '',
      /^Sensor reads -127\.00 °C \(plausible -40 to 60 °C, exclusive\), impossible for a refrigerated load: sensor fault or disconnected$/,
    );
    // −40 °C is plausible in a freezer, not in a fridge
    const freezer = run(
      temperatureSensorFaultRules(presetProfile('frozen')),
      probe(0, 1800, 'drop-f', (s) => (s >= 600 && s < 660 ? -40 : -20)),
    );
    assert.deepEqual(
      freezer.filter((t) => t.alarm.rule === 'impossible-value'),
      [],
    );
  });

  it('rate of change: a 5 °C spike in 10 s and its return make one alarm', () => {
    const spike = (s: number) => (s === 600 ? 10.2 : undefined);
    const ts = run(temperatureSensorFaultRules(fridge), probe(0, 1800, 'spike', spike));
    // the return to 5 °C is as impossible as the jump: the fault ends at the reading after it
    assert.deepEqual(
      brief(ts).map((b) => b.replace(/resolved=10\.33+\d*/, 'resolved=10m20s')),
      [
        'opened rate-of-change start=10 raised=10 resolved=-',
        // the drop back was the larger step: a new peak
        'updated rate-of-change start=10 raised=10 resolved=-',
        'resolved rate-of-change start=10 raised=10 resolved=10m20s',
      ],
    );
    assert.equal(ts.filter((t) => t.type === 'opened').length, 1);
    assert.match(
      ts[0]?.alarm.message ?? '',
      /^Temperature jumped 5\.\d °C in 10 s \(\d\.\d → 10\.2 °C\), faster than a refrigerated load can change \(3 °C\/min\): sensor fault or interference$/,
    );
  });

  it('rate of change: a door-open warming (about 1.7 °C/min) is physics, not a fault', () => {
    // open 4 min: toward 22 °C room air with a 10-minute time constant; closed: back down
    const peak = 5 + 17 * (1 - Math.exp(-240 / 600));
    const door = (s: number) =>
      s >= 600 && s < 840
        ? 5 + 17 * (1 - Math.exp(-(s - 600) / 600))
        : s >= 840
          ? 5 + (peak - 5) * Math.exp(-(s - 840) / 600)
          : undefined;
    const ts = run(temperatureSensorFaultRules(fridge), probe(0, 1800, 'door', door));
    assert.deepEqual(
      ts.filter((t) => t.alarm.rule === 'rate-of-change'),
      [],
    );
  });

  it('vitals: a frozen monitor flat-lines after 5 min; one stuck SpO2 alone does not', () => {
    const rng = createRng('vitals');
    const rs: Reading[] = [];
    for (let s = 0; s <= 3600; s += 10) {
      const frozen = s >= 1200 && s < 2400;
      const live = {
        hr_bpm: Math.round(75 + gaussian(rng, 0, 1.5)),
        spo2_pct: 97,
        rr_bpm: Math.round(16 + gaussian(rng, 0, 0.7)),
        sbp_mmhg: Math.round(120 + gaussian(rng, 0, 2)),
        temp_c: Math.round((36.8 + gaussian(rng, 0, 0.04)) * 10) / 10,
      };
      rs.push({
        ts: T0 + s * SEC,
        data: frozen ? { hr_bpm: 74, spo2_pct: 97, rr_bpm: 16, sbp_mmhg: 121, temp_c: 36.8 } : live,
      });
    }
    const ts = run(vitalsSensorFaultRules(), rs);
    assert.deepEqual(brief(ts), [
      'opened flat-line start=20 raised=25 resolved=-',
      'resolved flat-line start=20 raised=25 resolved=40',
    ]);
    assert.match(
      ts[0]?.alarm.message ?? '',
      /^Monitor reads constant values for 5 min \(HR 74 bpm, SpO2 97 %, RR 16 \/min, SBP 121 mmHg, temperature 36\.8 °C\): frozen or disconnected$/,
    );
  });

  it('vitals: an SpO2 above 100 % is impossible, a heart rate of 0 is not a sensor fault', () => {
    const base = { hr_bpm: 70, spo2_pct: 97, rr_bpm: 15, sbp_mmhg: 120, temp_c: 36.9 };
    const rs: Reading[] = [
      { ts: at(0), data: base },
      { ts: at(1), data: { ...base, hr_bpm: 0 } },
      { ts: at(2), data: { ...base, hr_bpm: 71, spo2_pct: 127 } },
    ];
    const ts = run(vitalsSensorFaultRules(), rs);
    assert.deepEqual(brief(ts), ['opened impossible-value start=2 raised=2 resolved=-']);
    assert.match(ts[0]?.alarm.message ?? '', /SpO2 127 %/);
  });
});
