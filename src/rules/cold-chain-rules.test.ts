import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findExcursionsBy } from '../coldchain/excursions.ts';
import { presetProfile, resolveProfile } from '../coldchain/profiles.ts';
import { temperatureSeries } from '../coldchain/temperature-series.ts';
import { readingFromEvent } from './event-reading.ts';
import { createRuleEngine } from './rule-engine.ts';
import { coldChainRules } from './rule-sets.ts';
import { at, brief, HOUR, MIN, ofRule, reading, temps } from './rules.fixture.ts';

const fridge = presetProfile('refrigerated');

function run(
  readings: Parameters<ReturnType<typeof createRuleEngine>['ingest']>[1],
  now: number,
  profile = fridge,
  geofence = {},
) {
  return createRuleEngine({ rules: coldChainRules(profile, { geofence }) }).ingest('truck-7', readings, now)
    .transitions;
}

/** Each reading ingested at its own timestamp, as a connected logger would deliver it. */
function live(readings: Parameters<ReturnType<typeof createRuleEngine>['ingest']>[1]) {
  const e = createRuleEngine({ rules: coldChainRules(fridge) });
  return [...readings].sort((a, b) => a.ts - b.ts).flatMap((r) => e.ingest('truck-7', [r], r.ts).transitions);
}

describe('door open longer than 5 min', () => {
  it('is raised when the door has been open for more than 5 min, not at exactly 5', () => {
    const rs = Array.from({ length: 8 }, (_, m) =>
      reading(m, { temp_c: 5, door: m < 7 ? 'open' : 'closed' }),
    );
    assert.deepEqual(brief(ofRule(run(rs.slice(0, 6), at(5)), 'door-open')), []);
    const out = ofRule(run(rs, at(7)), 'door-open');
    assert.deepEqual(brief(out), [
      'opened door-open start=0 raised=6 resolved=-',
      'resolved door-open start=0 raised=6 resolved=7',
    ]);
    assert.equal(out[1]?.alarm.peak, 7 * MIN);
  });

  it('works from door events between samples that carry no door field', () => {
    const open = readingFromEvent({ type: 'door', state: 'open' }, at(0.5));
    const closed = readingFromEvent({ type: 'door', state: 'closed', ts: at(7.5) }, at(9));
    assert.ok(open && closed);
    const out = live([...temps(0, 10, 5), open, closed]);
    assert.deepEqual(brief(ofRule(out, 'door-open')), [
      'opened door-open start=0.5 raised=6 resolved=-',
      'resolved door-open start=0.5 raised=6 resolved=7.5',
    ]);
  });
});

describe('no power longer than 24 h', () => {
  it('is raised after more than 24 h off mains and resolved back on mains', () => {
    const rs = Array.from({ length: 26 * 6 + 1 }, (_, i) =>
      reading(i * 10, { temp_c: 5, power: i * 10 < 25 * 60 ? 'battery' : 'mains' }),
    );
    const out = ofRule(run(rs, at(26 * 60)), 'no-power');
    assert.deepEqual(brief(out), [
      'opened no-power start=0 raised=1450 resolved=- late',
      'resolved no-power start=0 raised=1450 resolved=1500 late',
    ]);
  });
});

describe('battery low', () => {
  it('is raised below 20 % and cleared only at 25 % or more', () => {
    const levels = [30, 21, 20, 19.5, 21, 24, 25, 19];
    const rs = levels.map((b, m) => reading(m, { temp_c: 5, bat_pct: b }));
    const e = createRuleEngine({ rules: coldChainRules(fridge) });
    const out = rs.flatMap((r) => e.ingest('truck-7', [r], r.ts).transitions);
    assert.deepEqual(brief(ofRule(out, 'battery-low')), [
      'opened battery-low start=3 raised=3 resolved=-',
      'resolved battery-low start=3 raised=3 resolved=6',
      'opened battery-low start=7 raised=7 resolved=-',
    ]);
    const ev = readingFromEvent({ type: 'battery_low', bat_pct: 12 }, at(9));
    assert.deepEqual(ev, { ts: at(9), data: { bat_pct: 12 }, source: 'event' });
  });
});

describe('cumulative time out of range with budgets', () => {
  const budgeted = resolveProfile({
    preset: 'refrigerated',
    budgets: [
      { kind: 'above', budgetMs: 30 * MIN },
      { kind: 'above', limitC: 30, inclusive: true, budgetMs: 10 * HOUR },
    ],
  });

  it('raises when the total strictly exceeds the budget, counted as the excursion report counts it', () => {
    // 20 min above, back in range, then 10 min above: exactly 30 min in total is within budget
    const exact = temps(0, 120, (m) => ((m >= 10 && m < 30) || (m >= 55 && m < 65) ? 9 : 5));
    assert.deepEqual(ofRule(run(exact, at(120), budgeted), 'budget:above-8'), []);
    // 20 + 17 min: the total passes 30 min at the reading of minute 66
    const longer = temps(0, 120, (m) => ((m >= 10 && m < 30) || (m >= 55 && m < 72) ? 9 : 5));
    const out = ofRule(run(longer, at(120), budgeted), 'budget:above-8');
    assert.deepEqual(brief(out), ['opened budget:above-8 start=10 raised=66 resolved=- late']);
    const counted = findExcursionsBy(
      temperatureSeries(longer),
      (t) => (t > 8 ? 'above' : undefined),
      budgeted.dataGapMaxMs,
    );
    assert.equal(counted.timeAboveMs, 37 * MIN);
  });

  it('never resolves: spent time stays spent', () => {
    const e = createRuleEngine({ rules: coldChainRules(budgeted) });
    e.ingest('truck-7', temps(0, 40, 9), at(40));
    const out = e.ingest('truck-7', temps(41, 200, 5), at(200)).transitions;
    assert.deepEqual(ofRule(out, 'budget:above-8'), []);
    const open = e.openAlarms('truck-7').find((a) => a.rule === 'budget:above-8');
    assert.equal(open?.peak, 41 * MIN);
    assert.equal(open?.unit, 'ms');
  });

  it('counts only the time at or above a budget’s own limit (shipping-indicator style)', () => {
    const rs = temps(0, 11 * 60, (m) => (m % 120 < 61 ? 31 : 30));
    const out = ofRule(run(rs, at(11 * 60), budgeted), 'budget:above-30');
    assert.equal(out.length, 1);
    assert.equal(out[0]?.alarm.startedAt, at(0));
  });
});

describe('geofence', () => {
  const route = [
    { lat: 0, lon: 0 },
    { lat: 0, lon: 1 },
  ];
  const pos = (m: number, lat: number, lon: number) => reading(m, { temp_c: 5, lat, lon });

  it('raises off route beyond the tolerance and resolves back on it', () => {
    const rs = [pos(0, 0, 0), pos(1, 0.03, 0.2), pos(2, 0.05, 0.3), pos(3, 0.04, 0.4), pos(4, 0.01, 0.5)];
    const out = ofRule(run(rs, at(4), fridge, { route, offRouteKm: 4 }), 'off-route');
    // 0.05° = 5.56 km off; 0.04° = 4.45 km; 0.03° = 3.34 km
    assert.deepEqual(brief(out), [
      'opened off-route start=2 raised=2 resolved=-',
      'resolved off-route start=2 raised=2 resolved=4',
    ]);
    assert.ok(Math.abs((out[1]?.alarm.peak as number) - 5.559754) < 1e-5);
  });

  it('reports arrival within the destination radius', () => {
    const rs = [pos(0, 0, 0), pos(1, 0, 0.98), pos(2, 0, 0.995)];
    const out = ofRule(
      run(rs, at(2), fridge, { destination: { lat: 0, lon: 1 }, arrivalRadiusKm: 1 }),
      'arrived',
    );
    assert.deepEqual(brief(out), ['opened arrived start=2 raised=2 resolved=-']);
    assert.equal(out[0]?.alarm.severity, 'info');
  });
});
