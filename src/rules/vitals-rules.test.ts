import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRuleEngine } from './rule-engine.ts';
import { vitalsRules } from './rule-sets.ts';
import { brief, ofRule, reading } from './rules.fixture.ts';
import { every, HEALTHY, live, timeline, type Vitals } from './vitals.fixture.ts';

/** The rules opened by six minutes of `data` at a 10 s cadence (long enough for every delay). */
function raisedBy(data: Vitals): string[] {
  const out = live(every(10, 37, () => data));
  return [...new Set(out.filter((t) => t.type === 'opened').map((t) => t.alarm.rule))].sort();
}

describe('vitals rules', () => {
  it('a healthy patient raises nothing', () => {
    assert.deepEqual(live(every(10, 100, (i) => ({ hr_bpm: 72 + (i % 17), spo2_pct: 96 + (i % 3) }))), []);
  });

  it('range alarms sit on the NEWS2 red edges, both sides of each', () => {
    const cases: [Vitals, string[]][] = [
      [{ hr_bpm: 40 }, ['heart-rate', 'news2']],
      [{ hr_bpm: 41 }, []],
      [{ hr_bpm: 130 }, []],
      [{ hr_bpm: 131 }, ['heart-rate', 'news2']],
      [{ spo2_pct: 91 }, ['news2', 'spo2-low']],
      [{ spo2_pct: 92 }, []],
      [{ temp_c: 35.0 }, ['body-temperature', 'news2']],
      [{ temp_c: 35.1 }, []],
      [{ temp_c: 39.0 }, []],
      // 2 points: the range alarm warns, NEWS2 (2) does not
      [{ temp_c: 39.1 }, ['body-temperature']],
      // respiration, pressure and consciousness alarm through NEWS2
      [{ rr_bpm: 8 }, ['news2']],
      [{ rr_bpm: 9 }, []],
      [{ rr_bpm: 24 }, []],
      [{ rr_bpm: 25 }, ['news2']],
      [{ sbp_mmhg: 90 }, ['news2']],
      [{ sbp_mmhg: 91 }, []],
      [{ sbp_mmhg: 220 }, ['news2']],
      [{ consciousness: 'C' }, ['news2']],
      // the chart reads whole numbers: 130.4 is 130, 130.5 is 131
      [{ hr_bpm: 130.4 }, []],
      [{ hr_bpm: 130.5 }, ['heart-rate', 'news2']],
      // aggregate: pulse 2 + RR 2 + SpO2 1 = 5; one point less is 4
      [{ hr_bpm: 115, rr_bpm: 22, spo2_pct: 95 }, ['news2']],
      [{ hr_bpm: 115, rr_bpm: 22, spo2_pct: 96 }, []],
    ];
    for (const [data, rules] of cases) assert.deepEqual(raisedBy(data), rules, JSON.stringify(data));
  });

  it('SpO2 scale 2: the 88-92 % target raises nothing, on air or oxygen; 83 % and below alarms', () => {
    const scale2 = { spo2_scale: 2 };
    for (const spo2 of [84, 86, 88, 90, 92, 93, 97])
      assert.deepEqual(raisedBy({ ...scale2, spo2_pct: spo2 }), []);
    // a target-range patient flickering around 92 %: the rules before alarmed at every dip below 92
    const flicker = live(every(10, 300, (i) => ({ ...scale2, spo2_pct: [91, 92, 90, 93, 89][i % 5] })));
    assert.deepEqual(flicker, []);
    assert.deepEqual(raisedBy({ ...scale2, spo2_pct: 83 }), ['news2', 'spo2-low']);
    assert.match(
      ofRule(live(every(10, 13, () => ({ ...scale2, spo2_pct: 82 }))), 'spo2-low')[0]?.alarm.message ?? '',
      /^SpO2 at or below 83 % \(scale 2\) for 1 min so far \(alarm after 1 min\), lowest 82 %$/,
    );
  });

  it('SpO2 scale 2 on oxygen: 97 % and above is too much oxygen (NEWS2 3); on air it is not', () => {
    const onO2 = { spo2_scale: 2, on_oxygen: true };
    // 96 % on oxygen: SpO2 2 + oxygen 2 = 4
    assert.deepEqual(raisedBy({ ...onO2, spo2_pct: 96 }), []);
    assert.deepEqual(raisedBy({ ...onO2, spo2_pct: 97 }), ['news2', 'spo2-high']);
    assert.deepEqual(raisedBy({ spo2_scale: 2, spo2_pct: 99 }), []);
    // scale 1 on oxygen: 97 % is the target
    assert.deepEqual(raisedBy({ on_oxygen: true, spo2_pct: 97 }), []);
  });

  it('NEWS2: one alarm per episode, its severity rising with the band; resolved when low again', () => {
    const red = { rr_bpm: 26 }; // 3: low-medium
    const high = { rr_bpm: 26, sbp_mmhg: 95, temp_c: 39.5 }; // 3 + 2 + 2 = 7: high
    const rs = every(10, 80, (_, s) => (s < 60 ? {} : s < 240 ? red : s < 420 ? high : {}));
    assert.deepEqual(timeline(live(rs), 'news2'), [
      'opened news2 start=60s raised=120s resolved=- warning 3',
      'updated news2 start=60s raised=120s resolved=- critical 7',
      'resolved news2 start=60s raised=120s resolved=420s critical 7',
    ]);
    const [opened, , resolved] = ofRule(live(rs), 'news2');
    assert.match(
      opened?.alarm.message ?? '',
      /^NEWS2 3 at peak \(a single parameter scoring 3: urgent ward-based response\) for 1 min so far; latest 3 \(low-medium\): RR 3, /,
    );
    assert.match(resolved?.alarm.message ?? '', /^NEWS2 7 at peak \(high: emergency response\) for 6 min;/);
  });

  it('missing fields: names the absent fields and resolves on a complete sample', () => {
    const { consciousness: _c, ...noAcvpu } = HEALTHY;
    const e = createRuleEngine({ rules: vitalsRules() });
    const out = [HEALTHY, noAcvpu, { ...noAcvpu, hr_bpm: undefined }, HEALTHY].flatMap(
      (d, m) => e.ingest('bed-12', [reading(m, d)], reading(m, d).ts).transitions,
    );
    assert.deepEqual(
      ofRule(out, 'missing-fields').map((t) => [t.type, t.alarm.peak]),
      [
        ['opened', 1],
        ['updated', 2],
        ['resolved', 2],
      ],
    );
    assert.match(ofRule(out, 'missing-fields')[2]?.alarm.message ?? '', /hr_bpm, consciousness/);
  });

  it('battery below 20 % on a monitor', () => {
    const e = createRuleEngine({ rules: vitalsRules() });
    const out = [50, 18].flatMap(
      (bat, m) =>
        e.ingest('bed-12', [reading(m, { ...HEALTHY, bat_pct: bat })], reading(m, {}).ts).transitions,
    );
    assert.deepEqual(brief(ofRule(out, 'battery-low')), ['opened battery-low start=1 raised=1 resolved=-']);
  });

  it('weak signal only after five minutes below -100 dBm', () => {
    const weak = (n: number) => ofRule(live(every(60, n, () => ({ rssi_dbm: -101 }))), 'signal-weak');
    assert.deepEqual(weak(5), []);
    assert.deepEqual(
      weak(6).map((t) => t.alarm.severity),
      ['info'],
    );
  });
});
