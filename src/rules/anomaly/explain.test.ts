import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ExplainFacts, explain, type FeatureFact } from './explain.ts';

const HOUR = 3_600_000;
const f = (
  name: string,
  value: number,
  median: number,
  sd: number,
  low: number,
  high: number,
): FeatureFact => ({
  name,
  value,
  median,
  sd,
  z: (value - median) / sd,
  low,
  high,
});

function temperature(driver: number, over: Partial<ExplainFacts> = {}): ExplainFacts {
  return {
    profile: 'vehicle',
    features: [
      f('level', 6.9, 5.1, 0.25, 4.6, 5.6),
      f('slope', 0.12, 0, 0.01, -0.021, 0.018),
      f('level-30', 6.1, 5.1, 0.2, 4.6, 5.6),
      f('slope-30', 0.05, 0, 0.005, -0.01, 0.01),
      f('log-noise', Math.log(0.6), Math.log(0.08), 0.15, -2.9, -2.2),
    ],
    driver,
    historyMs: 6 * HOUR,
    inRange: true,
    ...over,
  };
}

describe('explanations of statistical alarms', () => {
  it("says how far a temperature is from the device's own median", () => {
    assert.equal(
      explain(temperature(0)),
      "Temperature 6.9 °C, 1.8 °C above this logger's 6-hour median (5.1 °C; usual range 4.6 to 5.6 °C); no range limit crossed",
    );
  });

  it('says how fast it moves, and that the door was reported closed', () => {
    assert.equal(
      explain(temperature(1, { door: 'closed' })),
      'Temperature rising 0.12 °C/min with the door reported closed (6-hour range -0.021 to 0.018 °C/min), now 6.9 °C; no range limit crossed',
    );
  });

  it('says how much noisier the sensor is, and leaves out the range when a limit is crossed', () => {
    assert.equal(
      explain(temperature(4, { inRange: false })),
      'Temperature readings 7.5 times noisier than usual (±0.60 °C against ±0.08 °C)',
    );
  });

  it("says where a probe's 30-minute level is against the band it kept", () => {
    assert.equal(
      explain(temperature(2, { profile: 'probe', historyMs: 24 * HOUR })),
      'Temperature averaging 6.1 °C over 30 minutes, 0.5 °C above the band this probe kept for 24 hours (4.6 to 5.6 °C); no range limit crossed',
    );
  });

  it("puts a vital in robust SDs of the patient's median, with NEWS2", () => {
    const facts: ExplainFacts = {
      profile: 'vitals',
      features: [
        f('hr_bpm', 112, 74, 4.1, 66, 82),
        f('spo2_pct', 97, 97, 1, 96, 98),
        f('rr_bpm', 16, 16, 1.5, 14, 18),
        f('sbp_mmhg', 121, 122, 5, 112, 131),
        f('temp_c', 36.8, 36.8, 0.2, 36.6, 37),
      ],
      driver: 0,
      news2: 2,
      baselineNews2: 0,
      historyMs: 6 * HOUR,
      inRange: true,
    };
    assert.equal(
      explain(facts),
      "HR 9.3 robust SDs above this patient's 6-hour median (112 vs 74 bpm) while RR is steady; NEWS2 2, up from 0",
    );
  });
});
