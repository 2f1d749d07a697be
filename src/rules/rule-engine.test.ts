import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presetProfile, resolveProfile } from '../coldchain/profiles.ts';
import { isVigilError } from '../errors.ts';
import { createHeatRule } from './heat-rule.ts';
import type { Alarm, AlarmTransition, Reading } from './rule.ts';
import { createRuleEngine } from './rule-engine.ts';
import { coldChainRules } from './rule-sets.ts';
import { at, brief, finalAlarms, ingestShuffled, ofRule, reading, temps } from './rules.fixture.ts';

const fridge = presetProfile('refrigerated');

describe('rule engine', () => {
  it('keeps subjects apart', () => {
    const e = createRuleEngine({ rules: coldChainRules(fridge) });
    e.ingest('truck-a', temps(0, 600, 9), at(600));
    e.ingest('truck-b', temps(0, 600, 5), at(600));
    assert.deepEqual(
      e.openAlarms().map((a) => `${a.subject}/${a.rule}`),
      ['truck-a/heat', 'truck-a/warning:above', 'truck-a/critical:above'],
    );
    assert.deepEqual(e.openAlarms('truck-b'), []);
    assert.deepEqual(e.subjects().sort(), ['truck-a', 'truck-b']);
    e.forget('truck-a');
    assert.deepEqual(e.subjects(), ['truck-b']);
  });

  it('continues restored alarms after a restart instead of opening them again', () => {
    const before = createRuleEngine({ rules: coldChainRules(fridge) });
    const rs = temps(0, 700, (m) => (m < 650 ? 9 : 5));
    const first = before.ingest('truck-a', rs.slice(0, 601), at(600));
    before.ingest('truck-a', rs.slice(601, 640), at(639));
    const alarms = before.openAlarms('truck-a');
    assert.deepEqual(brief(ofRule(first.transitions, 'heat')), ['opened heat start=0 raised=600 resolved=-']);
    // restart: persisted alarms come back, the recent readings are re-ingested, new ones follow
    const after = createRuleEngine({ rules: coldChainRules(fridge) });
    after.restore(alarms);
    const replayed = after.ingest('truck-a', rs.slice(0, 640), at(641));
    assert.deepEqual(ofRule(replayed.transitions, 'heat'), []);
    const next = after.ingest('truck-a', rs.slice(640), at(700));
    assert.deepEqual(brief(ofRule(next.transitions, 'heat')), [
      'resolved heat start=0 raised=600 resolved=650',
    ]);
  });

  // data-gap is left out: it judges silence against the wall clock, which depends on arrival
  it('ends with the same standing alarms for any arrival order and batching as one in-order pass (40 seeds)', () => {
    const profile = resolveProfile({
      preset: 'refrigerated',
      budgets: [{ kind: 'above', budgetMs: 300 * 60_000 }],
      noPowerMaxMs: 60 * 60_000,
    });
    const rules = () =>
      coldChainRules(profile, {
        geofence: {
          route: [
            { lat: 0, lon: 0 },
            { lat: 0, lon: 1 },
          ],
          offRouteKm: 5,
          destination: { lat: 0, lon: 1 },
          arrivalRadiusKm: 2,
        },
      });
    const tempAt = (m: number) =>
      m < 50
        ? 5
        : m < 700
          ? 9.5
          : m < 720
            ? 5
            : m < 800
              ? -1
              : m < 830
                ? 9
                : m < 1000
                  ? 5
                  : m < 1300 && m % 50 < 25
                    ? 9
                    : 5;
    const rs: Reading[] = [];
    for (let m = 0; m <= 1500; m++) {
      rs.push(
        reading(m, {
          temp_c: tempAt(m),
          door: m % 200 < 8 ? 'open' : 'closed',
          power: (m > 300 && m < 420) || (m > 900 && m < 950) ? 'battery' : 'mains',
          bat_pct: m > 1200 && m < 1250 ? 15 : 80,
          lat: m > 600 && m < 640 ? 0.1 : 0,
          lon: m / 1500,
        }),
      );
    }
    const finalOf = (ts: readonly AlarmTransition[], open: readonly Alarm[]) =>
      finalAlarms(ts, open, ['data-gap']);
    const reference = createRuleEngine({ rules: rules() });
    const expected = finalOf(reference.ingest('s', rs, at(1500)).transitions, reference.openAlarms());
    assert.deepEqual(
      [...new Set(expected.map((line) => line.split(' ')[0]))],
      [
        'arrived',
        'battery-low',
        'budget:above-8',
        'critical:above',
        'critical:below',
        'door-open',
        'freeze',
        'heat',
        'no-power',
        'off-route',
        'warning:above',
        'warning:below',
      ],
    );
    for (let seed = 1; seed <= 40; seed++) {
      const e = createRuleEngine({ rules: rules() });
      const size = 1 + ((seed * 37) % 200);
      const all = ingestShuffled(e, 's', rs, { seed, size, now: at(1500) });
      assert.deepEqual(finalOf(all, e.openAlarms()), expected, `seed ${seed}, batches of ${size}`);
    }
  });

  it('refuses a rule set with two rules of the same id', () => {
    const heat = createHeatRule({ limitC: 8, inclusive: false, durationMs: 1 });
    const e = createRuleEngine({ rules: [heat, heat] });
    assert.throws(
      () => e.ingest('s', [reading(0, { temp_c: 1 })], at(0)),
      (err) => isVigilError(err, 'VIGIL_ERR_CONFIG'),
    );
  });

  it('chooses rules per subject, so each shipment can have its own route', () => {
    const e = createRuleEngine({
      rules: (subject) =>
        coldChainRules(fridge, {
          geofence: { route: [{ lat: subject === 'north' ? 10 : 0, lon: 0 }], offRouteKm: 5 },
        }),
    });
    const pos = [reading(0, { temp_c: 5, lat: 0, lon: 0 })];
    assert.equal(ofRule(e.ingest('north', pos, at(0)).transitions, 'off-route').length, 1);
    assert.equal(ofRule(e.ingest('south', pos, at(0)).transitions, 'off-route').length, 0);
  });

  it('keeps at most maxReadings readings (plus one prune chunk); older arrivals are too old', () => {
    const e = createRuleEngine({ rules: coldChainRules(fridge), maxReadings: 2000 });
    for (let m = 0; m < 5000; m += 100) e.ingest('s', temps(m, m + 99, 5), at(m + 99));
    const late = e.ingest('s', [reading(10, { temp_c: 9 }), reading(4990, { temp_c: 5.5 })], at(5000));
    assert.deepEqual([late.tooOld, late.accepted], [1, 1]);
    // a heat episode is carried in the rule state, not in the readings kept
    const hot = e.ingest('s', temps(5000, 5700, 9), at(5700));
    assert.equal(ofRule(hot.transitions, 'heat').length, 1);
  });
});
