/**
 * When the patient-monitor alarms are raised and resolved: alarm condition delay (persistence),
 * single-reading artefacts, hysteresis and merge, and independence from the arrival order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Alarm, AlarmTransition, Reading } from './rule.ts';
import { createRuleEngine } from './rule-engine.ts';
import { vitalsRules } from './rule-sets.ts';
import { finalAlarms, ingestShuffled } from './rules.fixture.ts';
import { every, live, sec, timeline, type Vitals } from './vitals.fixture.ts';

const opened = (ts: readonly AlarmTransition[]) =>
  ts.filter((t) => t.type === 'opened').map((t) => `${t.alarm.rule}@${(t.alarm.raisedAt - sec(0)) / 1000}s`);

/** `data` in [fromS, toS), healthy otherwise. */
const during = (fromS: number, toS: number, data: Vitals) => (_: number, s: number) =>
  s >= fromS && s < toS ? data : {};

describe('vitals alarm delay (persistence)', () => {
  it('a red heart rate alarms once it has held one minute, not before', () => {
    // 10 s cadence: readings at 0..50 s are 50 s of tachycardia; one more reaches the minute
    assert.deepEqual(opened(live(every(10, 30, during(0, 60, { hr_bpm: 135 })))), []);
    assert.deepEqual(opened(live(every(10, 30, during(0, 70, { hr_bpm: 135 })))), [
      'news2@60s',
      'heart-rate@60s',
    ]);
    // 60 s cadence: confirmed by the next reading
    assert.deepEqual(opened(live(every(60, 5, during(0, 120, { hr_bpm: 135 })))), [
      'news2@60s',
      'heart-rate@60s',
    ]);
  });

  it('NEWS2 5-6 alarms after five minutes; 7 and more (emergency) after one', () => {
    const medium = { hr_bpm: 115, rr_bpm: 22, spo2_pct: 95 }; // 2 + 2 + 1, no red parameter
    assert.deepEqual(opened(live(every(10, 60, during(0, 300, medium)))), []);
    assert.deepEqual(opened(live(every(10, 60, during(0, 310, medium)))), ['news2@300s']);
    const high = { ...medium, temp_c: 39.5 }; // + 2 = 7
    const out = live(every(10, 60, during(0, 120, high)));
    assert.deepEqual(opened(out), ['news2@60s']);
    assert.equal(out[0]?.alarm.severity, 'critical');
  });

  it('one reading back in range does not restart the delay; a run mostly in range never alarms', () => {
    const dip = (_: number, s: number) => ({ hr_bpm: s === 30 ? 128 : s < 120 ? 135 : 80 });
    assert.deepEqual(opened(live(every(10, 20, dip))), ['news2@60s', 'heart-rate@60s']);
    // alternating in and out of the zone: half the time is not enough
    const alternate = (i: number) => ({ hr_bpm: i % 2 === 0 ? 133 : 128 });
    assert.deepEqual(opened(live(every(10, 200, alternate))), []);
  });
});

describe('vitals artefacts', () => {
  const artefacts: Vitals[] = [
    { hr_bpm: 220 },
    { hr_bpm: 25 },
    { spo2_pct: 60 },
    { spo2_pct: 55, hr_bpm: 190 },
  ];

  it('a single-reading motion artefact raises nothing, at 10 s and at 60 s cadence', () => {
    for (const stepS of [10, 60]) {
      for (const a of artefacts) {
        const rs = every(stepS, 30, (i) => (i === 10 ? a : {}));
        assert.deepEqual(live(rs), [], `${stepS} s ${JSON.stringify(a)}`);
      }
    }
  });

  it('an artefact inside an episode is not its peak', () => {
    const rs = every(10, 60, (i) => (i < 20 ? { hr_bpm: i === 10 ? 230 : 140 } : {}));
    const hr = live(rs).filter((t) => t.alarm.rule === 'heart-rate');
    assert.deepEqual(
      hr.map((t) => [t.type, t.alarm.peak]),
      [
        ['opened', 140],
        ['resolved', 140],
      ],
    );
    assert.match(
      hr[1]?.alarm.message ?? '',
      /^Heart rate at or above 131 bpm for 3 min 20 s .*highest 140 bpm$/,
    );
  });
});

describe('vitals hysteresis and merge', () => {
  it('a heart rate wavering around the limit is one alarm, resolved 5 bpm below it', () => {
    // raised, then 10 minutes between 126 and 134 (the rules before opened and closed at each crossing)
    const waver = [134, 129, 131, 126, 133, 127];
    const rs = every(10, 180, (i, s) =>
      s < 120 ? { hr_bpm: 135 } : s < 720 ? { hr_bpm: waver[i % waver.length] } : { hr_bpm: 125 },
    );
    assert.deepEqual(timeline(live(rs), 'heart-rate'), [
      'opened heart-rate start=0s raised=60s resolved=- critical 135',
      'resolved heart-rate start=0s raised=60s resolved=720s critical 135',
    ]);
  });

  it('SpO2 holds its alarm until 2 % above the limit', () => {
    const rs = every(10, 120, (_, s) => ({ spo2_pct: s < 120 ? 89 : s < 600 ? 93 : 94 }));
    assert.deepEqual(timeline(live(rs), 'spo2-low'), [
      'opened spo2-low start=0s raised=60s resolved=- critical 89',
      'resolved spo2-low start=0s raised=60s resolved=600s critical 89',
    ]);
  });

  it('each vital leaves its alarm exactly one hysteresis past the limit, decimals included', () => {
    // six minutes in the zone (every delay passes), then ten at `back`
    const leaves = (bad: Vitals, field: string, back: number, rule: string) =>
      timeline(live(every(10, 96, (_, s) => (s < 360 ? bad : { ...bad, [field]: back }))), rule).some((t) =>
        t.startsWith('resolved'),
      );
    const cases: [Vitals, string, number, number, string][] = [
      [{ hr_bpm: 135 }, 'hr_bpm', 126, 125, 'heart-rate'],
      [{ hr_bpm: 35 }, 'hr_bpm', 45, 46, 'heart-rate'],
      [{ spo2_pct: 80, spo2_scale: 2 }, 'spo2_pct', 85, 86, 'spo2-low'],
      [{ spo2_pct: 99, spo2_scale: 2, on_oxygen: true }, 'spo2_pct', 95, 94, 'spo2-high'],
      [{ temp_c: 34.5 }, 'temp_c', 35.2, 35.3, 'body-temperature'],
      [{ temp_c: 39.6 }, 'temp_c', 38.9, 38.8, 'body-temperature'],
      [{ rr_bpm: 27 }, 'rr_bpm', 23, 22, 'news2'],
    ];
    for (const [bad, field, holds, leavesAt, rule] of cases) {
      assert.equal(leaves(bad, field, holds, rule), false, `${rule} holds at ${field} ${holds}`);
      assert.equal(leaves(bad, field, leavesAt, rule), true, `${rule} leaves at ${field} ${leavesAt}`);
    }
  });

  it('NEWS2 raised at 5 holds at an aggregate of 4 and resolves at 3', () => {
    const five = { hr_bpm: 115, rr_bpm: 22, spo2_pct: 95 }; // 2 + 2 + 1
    const four = { ...five, spo2_pct: 97 }; // 2 + 2, no parameter within its hysteresis of red
    const three = { ...five, rr_bpm: 20 }; // 2 + 0 + 1
    const rs = every(10, 150, (_, s) => (s < 360 ? five : s < 960 ? four : three));
    assert.deepEqual(timeline(live(rs), 'news2'), [
      'opened news2 start=0s raised=300s resolved=- critical 5',
      'resolved news2 start=0s raised=300s resolved=960s critical 5',
    ]);
    // an aggregate of 4 alone never raises it
    assert.deepEqual(opened(live(every(10, 150, () => four))), []);
  });

  it('SpO2 too high on scale 2 alarms after five minutes on oxygen, not after one', () => {
    const high = { spo2_scale: 2, on_oxygen: true, spo2_pct: 98 };
    assert.deepEqual(
      opened(live(every(10, 60, during(0, 290, high)))).filter((o) => o.startsWith('spo2-high')),
      [],
    );
    assert.deepEqual(
      opened(live(every(10, 60, during(0, 310, high)))).filter((o) => o.startsWith('spo2-high')),
      ['spo2-high@300s'],
    );
  });

  it('two desaturations less than 5 minutes apart are one alarm; further apart, two', () => {
    const desat = (gapS: number) =>
      every(10, 150, (_, s) => ({ spo2_pct: s < 120 || (s >= 120 + gapS && s < 240 + gapS) ? 88 : 97 }));
    const near = live(desat(180));
    assert.deepEqual(timeline(near, 'spo2-low'), [
      'opened spo2-low start=0s raised=60s resolved=- critical 88',
      'resolved spo2-low start=0s raised=60s resolved=420s critical 88',
    ]);
    assert.match(
      near.at(-1)?.alarm.message ?? '',
      /^SpO2 at or below 91 % \(scale 1\) for 7 min, 2 episodes less than 5 min apart merged/,
    );
    assert.deepEqual(
      opened(live(desat(360))).filter((o) => o.startsWith('spo2-low')),
      ['spo2-low@60s', 'spo2-low@540s'],
    );
  });
});

describe('vitals rules and the arrival order', () => {
  // data-gap and missing-fields are left out: the first judges silence by the wall clock
  it('end with the same standing alarms for any arrival order and batching as one in-order pass (40 seeds)', () => {
    const at = (s: number): Vitals => {
      const m = s / 60;
      if (m < 20) return m % 7 === 3 && s % 60 === 30 ? { hr_bpm: 220 } : {}; // artefacts
      if (m < 40) return { spo2_pct: m % 6 < 4 ? 88 : 93 }; // a desaturation wavering
      if (m < 55) return { hr_bpm: 118, rr_bpm: 22, spo2_pct: 95 }; // NEWS2 5
      if (m < 60) return { hr_bpm: 118, rr_bpm: 26, spo2_pct: 95, temp_c: 39.4 }; // NEWS2 9
      if (m < 90) return { spo2_scale: 2, spo2_pct: 88 + (s % 50) / 10 }; // scale 2 target
      if (m < 110) return { spo2_scale: 2, on_oxygen: true, spo2_pct: 98, temp_c: 34.8 };
      if (m < 130) return { hr_bpm: m % 4 < 3 ? 36 : 44 };
      return {};
    };
    const rs: Reading[] = every(20, 450, (_, s) => at(s));
    const skip = ['data-gap', 'missing-fields'];
    const finalOf = (ts: readonly AlarmTransition[], open: readonly Alarm[]) => finalAlarms(ts, open, skip);
    const end = sec(450 * 20);
    const reference = createRuleEngine({ rules: vitalsRules() });
    const expected = finalOf(reference.ingest('bed', rs, end).transitions, reference.openAlarms());
    assert.deepEqual([...new Set(expected.map((line) => line.split(' ')[0]))].sort(), [
      'body-temperature',
      'heart-rate',
      'news2',
      'spo2-high',
      'spo2-low',
    ]);
    for (let seed = 1; seed <= 40; seed++) {
      const e = createRuleEngine({ rules: vitalsRules() });
      const size = 1 + ((seed * 37) % 120);
      const all = ingestShuffled(e, 'bed', rs, { seed, size, now: end });
      assert.deepEqual(finalOf(all, e.openAlarms()), expected, `seed ${seed}, batches of ${size}`);
    }
  });
});
