import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Consciousness,
  news2,
  news2Band,
  news2FromSample,
  scoreAirOrOxygen,
  scoreConsciousness,
  scorePulse,
  scoreRespiration,
  scoreSpo2Scale1,
  scoreSpo2Scale2,
  scoreSystolicBp,
  scoreTemperature,
} from './news2.ts';

// Royal College of Physicians, NEWS2 chart (2017): both sides of every band edge.
const RESPIRATION: [number, number][] = [
  [0, 3],
  [8, 3],
  [9, 1],
  [11, 1],
  [12, 0],
  [20, 0],
  [21, 2],
  [24, 2],
  [25, 3],
  [60, 3],
];
const SPO2_SCALE1: [number, number][] = [
  [70, 3],
  [91, 3],
  [92, 2],
  [93, 2],
  [94, 1],
  [95, 1],
  [96, 0],
  [100, 0],
];
const SPO2_SCALE2_AIR: [number, number][] = [
  [70, 3],
  [83, 3],
  [84, 2],
  [85, 2],
  [86, 1],
  [87, 1],
  [88, 0],
  [92, 0],
  [93, 0],
  [94, 0],
  [95, 0],
  [96, 0],
  [97, 0],
  [100, 0],
];
const SPO2_SCALE2_OXYGEN: [number, number][] = [
  [70, 3],
  [83, 3],
  [84, 2],
  [85, 2],
  [86, 1],
  [87, 1],
  [88, 0],
  [92, 0],
  [93, 1],
  [94, 1],
  [95, 2],
  [96, 2],
  [97, 3],
  [100, 3],
];
const SYSTOLIC: [number, number][] = [
  [50, 3],
  [90, 3],
  [91, 2],
  [100, 2],
  [101, 1],
  [110, 1],
  [111, 0],
  [219, 0],
  [220, 3],
  [260, 3],
];
const PULSE: [number, number][] = [
  [20, 3],
  [40, 3],
  [41, 1],
  [50, 1],
  [51, 0],
  [90, 0],
  [91, 1],
  [110, 1],
  [111, 2],
  [130, 2],
  [131, 3],
  [200, 3],
];
const TEMPERATURE: [number, number][] = [
  [33, 3],
  [35.0, 3],
  [35.1, 1],
  [36.0, 1],
  [36.1, 0],
  [38.0, 0],
  [38.1, 1],
  [39.0, 1],
  [39.1, 2],
  [41, 2],
];

function table(name: string, rows: [number, number][], score: (v: number) => number) {
  it(`${name}: every band edge scores as on the chart`, () => {
    for (const [value, expected] of rows) assert.equal(score(value), expected, `${name} ${value}`);
  });
}

describe('NEWS2 parameter scores', () => {
  table('respiration rate', RESPIRATION, scoreRespiration);
  table('SpO2 scale 1', SPO2_SCALE1, scoreSpo2Scale1);
  table('SpO2 scale 2 on air', SPO2_SCALE2_AIR, (v) => scoreSpo2Scale2(v, false));
  table('SpO2 scale 2 on oxygen', SPO2_SCALE2_OXYGEN, (v) => scoreSpo2Scale2(v, true));
  table('systolic blood pressure', SYSTOLIC, scoreSystolicBp);
  table('pulse', PULSE, scorePulse);
  table('temperature', TEMPERATURE, scoreTemperature);

  it('air scores 0 and supplemental oxygen 2', () => {
    assert.equal(scoreAirOrOxygen(false), 0);
    assert.equal(scoreAirOrOxygen(true), 2);
  });

  it('alert scores 0; new confusion, voice, pain and unresponsive score 3', () => {
    const rows: [Consciousness, number][] = [
      ['A', 0],
      ['C', 3],
      ['V', 3],
      ['P', 3],
      ['U', 3],
    ];
    for (const [level, expected] of rows) assert.equal(scoreConsciousness(level), expected, level);
  });

  it('reads values at the chart resolution: whole numbers, temperature to 0.1 °C', () => {
    assert.equal(scoreRespiration(20.4), 0);
    assert.equal(scoreRespiration(20.5), 2);
    assert.equal(scorePulse(90.49), 0);
    assert.equal(scoreTemperature(38.04), 0);
    assert.equal(scoreTemperature(38.06), 1);
    assert.equal(scoreTemperature(35.04), 3);
  });
});

describe('NEWS2 aggregate and escalation band', () => {
  const normal = {
    respirationRate: 16,
    spo2Pct: 97,
    onOxygen: false,
    systolicBp: 120,
    pulse: 70,
    consciousness: 'A' as Consciousness,
    temperatureC: 37,
  };

  it('bands: 0-4 low, a single 3 low-medium, 5-6 medium, 7+ high', () => {
    const rows: [number, boolean, string][] = [
      [0, false, 'low'],
      [1, false, 'low'],
      [4, false, 'low'],
      [3, true, 'low-medium'],
      [4, true, 'low-medium'],
      [5, false, 'medium'],
      [5, true, 'medium'],
      [6, true, 'medium'],
      [7, false, 'high'],
      [7, true, 'high'],
      [20, true, 'high'],
    ];
    for (const [total, red, band] of rows) assert.equal(news2Band(total, red), band, `${total}/${red}`);
  });

  it('a healthy adult on air scores 0, low', () => {
    assert.deepEqual(news2(normal), {
      total: 0,
      band: 'low',
      scale: 1,
      redScore: false,
      parameters: {
        respiration: 0,
        spo2: 0,
        airOrOxygen: 0,
        systolicBp: 0,
        pulse: 0,
        consciousness: 0,
        temperature: 0,
      },
    });
  });

  it('new confusion alone is a red score: 3, low-medium', () => {
    const s = news2({ ...normal, consciousness: 'C' });
    assert.deepEqual([s.total, s.band, s.redScore], [3, 'low-medium', true]);
  });

  it('adds the parameters: 6 on oxygen with SpO2 93 on scale 2 is medium', () => {
    // RR 22 (2) + SpO2 93 on O2, scale 2 (1) + oxygen (2) + pulse 95 (1) = 6
    const s = news2({ ...normal, respirationRate: 22, spo2Pct: 93, spo2Scale: 2, onOxygen: true, pulse: 95 });
    assert.deepEqual([s.total, s.band, s.scale], [6, 'medium', 2]);
    // the same patient on scale 1 would score SpO2 93 as 2
    assert.equal(news2({ ...normal, respirationRate: 22, spo2Pct: 93, onOxygen: true, pulse: 95 }).total, 7);
  });

  it('7 or more is high', () => {
    const s = news2({ ...normal, respirationRate: 26, systolicBp: 95, temperatureC: 39.5 });
    assert.deepEqual([s.total, s.band], [7, 'high']);
  });

  it('reads a patient-vitals sample and names missing or unusable fields', () => {
    const sample = {
      hr_bpm: 70,
      spo2_pct: 97,
      rr_bpm: 16,
      sbp_mmhg: 120,
      temp_c: 37,
      on_oxygen: false,
      consciousness: 'A',
    };
    const s = news2FromSample(sample);
    assert.ok(!('missing' in s) && s.total === 0);
    assert.deepEqual(news2FromSample({ ...sample, consciousness: 'X', hr_bpm: undefined }), {
      missing: ['hr_bpm', 'consciousness'],
    });
    const s2 = news2FromSample({ ...sample, spo2_scale: 2, spo2_pct: 95, on_oxygen: true });
    assert.ok(!('missing' in s2) && s2.parameters.spo2 === 2 && s2.total === 4);
  });
});
