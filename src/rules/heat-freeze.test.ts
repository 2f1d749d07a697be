import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presetProfile, resolveProfile } from '../coldchain/profiles.ts';
import type { Reading } from './rule.ts';
import { createRuleEngine } from './rule-engine.ts';
import { coldChainRules } from './rule-sets.ts';
import { at, brief, ofRule, reading, T0, temps } from './rules.fixture.ts';

const fridge = presetProfile('refrigerated'); // heat > 8 °C for 10 h, freeze <= -0.5 °C for 60 min
const engineFor = (profile = fridge) => createRuleEngine({ rules: coldChainRules(profile) });

function heatOf(readings: readonly Reading[], now: number, profile = fridge) {
  return brief(ofRule(engineFor(profile).ingest('fridge-1', readings, now).transitions, 'heat'));
}

describe('heat alarm timing (WHO PQS E006: above +8 °C for 10 h)', () => {
  it('is raised by the reading exactly 10 h after the first excursion reading', () => {
    assert.deepEqual(heatOf(temps(0, 600, 9), at(600)), ['opened heat start=0 raised=600 resolved=-']);
  });

  it('is not raised one reading short of 10 h', () => {
    assert.deepEqual(heatOf(temps(0, 599, 9), at(599)), []);
    assert.deepEqual(heatOf([...temps(0, 599, 9), reading(600, { temp_c: 8 })], at(600)), []);
  });

  it('treats the limit as exclusive by default and inclusive when the profile says so', () => {
    assert.deepEqual(heatOf(temps(0, 600, 8), at(600)), []);
    const inclusive = resolveProfile({ preset: 'refrigerated', heat: { inclusive: true } });
    assert.deepEqual(heatOf(temps(0, 600, 8), at(600), inclusive), [
      'opened heat start=0 raised=600 resolved=-',
    ]);
    assert.deepEqual(heatOf(temps(0, 600, 7.99), at(600), inclusive), []);
  });

  it('with irregular sampling is raised at the first reading at or past 10 h', () => {
    const minutes = [
      0, 29, 58, 80, 100, 129, 150, 170, 199, 228, 250, 279, 300, 329, 350, 379, 400, 429, 450, 479,
    ];
    minutes.push(500, 529, 550, 579, 599, 601, 610);
    const rs = minutes.map((m) => reading(m, { temp_c: 9.5 }));
    assert.deepEqual(heatOf(rs.slice(0, -2), at(599)), []);
    assert.deepEqual(heatOf(rs.slice(0, -1), at(601)), ['opened heat start=0 raised=601 resolved=-']);
  });

  it('resolves at the first reading back in range and keeps the peak', () => {
    const e = engineFor();
    e.ingest(
      'fridge-1',
      temps(0, 600, (m) => (m === 300 ? 11.2 : 9)),
      at(600),
    );
    e.ingest('fridge-1', temps(601, 650, 9), at(650));
    const out = e.ingest('fridge-1', [reading(651, { temp_c: 7.5 })], at(651)).transitions;
    assert.deepEqual(brief(out), ['resolved heat start=0 raised=600 resolved=651']);
    assert.equal(out[0]?.alarm.peak, 11.2);
    assert.equal(out[0]?.alarm.severity, 'critical');
    assert.match(out[0]?.alarm.message ?? '', /above 8\.0 °C for 10 h 51 min/);
  });

  it('runs an excursion on across a data gap: nothing shows it ended', () => {
    // 9 °C from 0 to 400 min, silence for 31 min (limit 30), then 9 °C again
    const rs = [...temps(0, 400, 9), ...temps(431, 1031, 9)];
    const e = engineFor();
    const out = e.ingest('fridge-1', rs, at(1031)).transitions;
    assert.deepEqual(brief(ofRule(out, 'heat')), ['opened heat start=0 raised=600 resolved=- late']);
    // the hole is history by now: reported by summarize(), alarmed only by the clock (data-gap.test.ts)
    assert.deepEqual(ofRule(out, 'data-gap'), []);
  });

  it('gives the same alarm for readings ingested in any order', () => {
    const rs = temps(0, 600, 9);
    const reversed = [...rs].reverse();
    assert.deepEqual(heatOf(reversed, at(600)), ['opened heat start=0 raised=600 resolved=-']);
    // and fed one at a time, newest first, over one wall-clock instant
    const e = engineFor();
    const all = reversed.flatMap((r) => e.ingest('fridge-1', [r], at(600)).transitions);
    assert.deepEqual(brief(ofRule(all, 'heat')), ['opened heat start=0 raised=600 resolved=-']);
  });
});

describe('freeze alarm timing (at or below -0.5 °C for 60 min)', () => {
  it('is raised exactly at 60 min; the limit itself counts', () => {
    const e = engineFor();
    const out = e.ingest('fridge-1', temps(0, 60, -0.5), at(60)).transitions;
    assert.deepEqual(brief(ofRule(out, 'freeze')), ['opened freeze start=0 raised=60 resolved=-']);
    assert.equal(ofRule(out, 'freeze')[0]?.alarm.peak, -0.5);
  });

  it('is not raised one reading short, nor at -0.4 °C', () => {
    assert.deepEqual(ofRule(engineFor().ingest('f', temps(0, 59, -3), at(59)).transitions, 'freeze'), []);
    assert.deepEqual(ofRule(engineFor().ingest('f', temps(0, 120, -0.4), at(120)).transitions, 'freeze'), []);
  });

  it('exclusive freeze limit: -0.5 °C no longer counts', () => {
    const p = resolveProfile({ preset: 'refrigerated', freeze: { inclusive: false } });
    assert.deepEqual(ofRule(engineFor(p).ingest('f', temps(0, 60, -0.5), at(60)).transitions, 'freeze'), []);
  });

  it('does not exist for frozen products', () => {
    const frozen = presetProfile('frozen');
    assert.ok(!coldChainRules(frozen).some((n) => n.rule === 'freeze'));
    const out = createRuleEngine({ rules: coldChainRules(frozen) }).ingest('f', temps(0, 120, -20), at(120));
    assert.deepEqual(out.transitions, []);
  });
});

describe('late and backfilled data', () => {
  it('raises an alarm in the past, marked detected late', () => {
    const e = engineFor();
    // live: in range until minute 100, then the logger goes silent (no connectivity)
    e.ingest('truck-1', temps(0, 100, 5), at(100));
    // at minute 800 the buffered readings arrive: above 8 °C since minute 101
    const out = e.ingest(
      'truck-1',
      temps(101, 800, 9).map((r) => ({ ...r, backfill: true })),
      at(800),
    ).transitions;
    const heat = ofRule(out, 'heat');
    assert.deepEqual(brief(heat), ['opened heat start=101 raised=701 resolved=- late']);
    assert.equal(heat[0]?.alarm.detectedAt, at(800));
  });

  it('opens and resolves at once an alarm whose whole period lies in backfill', () => {
    const e = engineFor();
    e.ingest('truck-1', temps(0, 100, 5), at(100));
    e.ingest('truck-1', temps(800, 900, 5), at(900));
    const out = e.ingest('truck-1', temps(101, 799, 9), at(1000)).transitions;
    assert.deepEqual(brief(ofRule(out, 'heat')), [
      'opened heat start=101 raised=701 resolved=- late',
      'resolved heat start=101 raised=701 resolved=800 late',
    ]);
  });

  it('disproves an open alarm when a late reading shows the temperature was back in range', () => {
    const e = engineFor();
    const opened = e.ingest('truck-1', temps(0, 600, 9), at(600)).transitions;
    assert.equal(ofRule(opened, 'heat').length, 1);
    const out = e.ingest('truck-1', [reading(300.5, { temp_c: 6 })], at(601)).transitions;
    // the condition, judged on the readings' own timestamps, cleared at 300.5 min: never 10 h
    assert.deepEqual(brief(ofRule(out, 'heat')), ['disproved heat start=0 raised=600 resolved=300.5']);
    const d = ofRule(out, 'heat')[0]?.alarm;
    assert.equal(d?.disproved?.at, at(601));
    assert.match(
      d?.disproved?.reason ?? '',
      /later show: Temperature above 8\.0 °C for 5 h 00 min \(alarm after 10 h 00 min\)/,
    );
    assert.match(d?.message ?? '', /for 10 h 00 min so far/, 'the facts it was raised on are kept');
    assert.deepEqual(
      e.openAlarms('truck-1').filter((a) => a.rule === 'heat'),
      [],
    );
    // the excursion from 301 min onwards raises its own alarm only when it reaches 10 h
    const later = e.ingest('truck-1', temps(601, 901, 9), at(901)).transitions;
    assert.deepEqual(brief(ofRule(later, 'heat')), ['opened heat start=301 raised=901 resolved=-']);
  });

  it('never re-opens a resolved alarm; late data of its period only corrects its facts', () => {
    const e = engineFor();
    e.ingest('truck-1', temps(0, 600, 9), at(600));
    e.ingest('truck-1', temps(601, 650, 9), at(650));
    e.ingest('truck-1', [reading(651, { temp_c: 5 })], at(651));
    // late readings inside the closed period, and one before it, extend the same excursion
    const out = e.ingest(
      'truck-1',
      [reading(-30, { temp_c: 9.3 }), reading(10.5, { temp_c: 12 }), reading(640.5, { temp_c: 9.9 })],
      at(700),
    ).transitions;
    assert.deepEqual(brief(ofRule(out, 'heat')), ['updated heat start=-30 raised=570 resolved=651']);
    assert.deepEqual([out[0]?.alarm.state, out[0]?.alarm.peak], ['resolved', 12]);
    assert.deepEqual(
      e.openAlarms('truck-1').filter((a) => a.rule === 'heat'),
      [],
    );
  });

  it('moves the start and raise time of an open alarm earlier when older excursion readings arrive', () => {
    const e = engineFor();
    e.ingest('truck-1', temps(0, 600, 9), at(600));
    const out = e.ingest('truck-1', temps(-20, -1, 9), at(602)).transitions;
    assert.deepEqual(brief(ofRule(out, 'heat')), ['updated heat start=-20 raised=580 resolved=-']);
  });

  it('ignores a reading it already holds', () => {
    const e = engineFor();
    const rs = temps(0, 600, 9);
    e.ingest('truck-1', rs, at(600));
    const again = e.ingest('truck-1', rs.slice(100, 200), at(601));
    assert.deepEqual([again.accepted, again.duplicates, again.transitions.length], [0, 100, 0]);
  });

  it('counts readings older than its retention as too old instead of misplacing them', () => {
    const e = createRuleEngine({ rules: coldChainRules(fridge), retentionMs: 60 * 60_000 });
    e.ingest('truck-1', temps(0, 3000, 5), at(3000));
    const r = e.ingest('truck-1', [reading(10, { temp_c: 20 })], at(3001));
    assert.deepEqual([r.accepted, r.tooOld], [0, 1]);
    assert.ok(T0 > 0);
  });
});
