import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presetProfile, resolveProfile, type TemperatureProfile } from '../coldchain/profiles.ts';
import type { Reading } from './rule.ts';
import { createRuleEngine } from './rule-engine.ts';
import { coldChainRules } from './rule-sets.ts';
import { at, brief, MIN, reading, temps } from './rules.fixture.ts';
import { alarmTier } from './tier-rules.ts';

const fridge = presetProfile('refrigerated');
const TIER_RULES = ['warning:above', 'warning:below', 'critical:above', 'critical:below', 'heat', 'freeze'];

/** Raised tier alarms (opened transitions) of a series ingested in one pass at its end. */
function tiers(readings: readonly Reading[], profile: TemperatureProfile = fridge): string[] {
  const now = readings.reduce((m, r) => Math.max(m, r.ts), 0);
  const out = createRuleEngine({ rules: coldChainRules(profile) }).ingest(
    'truck-1',
    readings,
    now,
  ).transitions;
  return brief(out.filter((t) => t.type === 'opened' && TIER_RULES.includes(t.alarm.rule))).map((l) =>
    l.replace(/ late$/, ''),
  );
}

describe('tier boundaries (refrigerated defaults)', () => {
  it('warns at 15 min above +8.0 °C, not at 14 min, and never at exactly +8.0 °C', () => {
    assert.deepEqual(tiers(temps(0, 15, 8.01)), ['opened warning:above start=0 raised=15 resolved=-']);
    assert.deepEqual(tiers(temps(0, 14, 8.01)), []);
    assert.deepEqual(tiers(temps(0, 120, 8)), []);
  });

  it('warns at 5 min below +2.0 °C; +2.0 °C itself is in range', () => {
    assert.deepEqual(tiers(temps(0, 5, 1.99)), ['opened warning:below start=0 raised=5 resolved=-']);
    assert.deepEqual(tiers(temps(0, 4, 1.99)), []);
    assert.deepEqual(tiers(temps(0, 120, 2)), []);
  });

  it('goes critical at 60 min above +8 °C, after the warning', () => {
    const out = tiers(temps(0, 60, 8.5));
    assert.deepEqual(out, [
      'opened warning:above start=0 raised=15 resolved=-',
      'opened critical:above start=0 raised=60 resolved=-',
    ]);
    assert.deepEqual(tiers(temps(0, 59, 8.5)), ['opened warning:above start=0 raised=15 resolved=-']);
  });

  it('goes critical at 5 min at or below -0.5 °C; -0.49 °C only warns', () => {
    assert.deepEqual(tiers(temps(0, 5, -0.5)), [
      'opened warning:below start=0 raised=5 resolved=-',
      'opened critical:below start=0 raised=5 resolved=-',
    ]);
    assert.deepEqual(tiers(temps(0, 5, -0.49)), ['opened warning:below start=0 raised=5 resolved=-']);
  });

  it('keeps the regulatory tier as published: heat at 10 h, freeze at 60 min', () => {
    assert.ok(tiers(temps(0, 600, 9)).includes('opened heat start=0 raised=600 resolved=-'));
    assert.ok(!tiers(temps(0, 599, 9)).some((l) => l.includes(' heat ')));
    assert.ok(tiers(temps(0, 60, -1)).includes('opened freeze start=0 raised=60 resolved=-'));
    assert.ok(!tiers(temps(0, 59, -1)).some((l) => l.includes(' freeze ')));
  });

  it('gives each tier its severity and names it', () => {
    const out = createRuleEngine({ rules: coldChainRules(fridge) }).ingest('t', temps(0, 600, 9), at(600));
    const sev = Object.fromEntries(out.transitions.map((t) => [t.alarm.rule, t.alarm.severity]));
    assert.deepEqual(sev, { 'warning:above': 'warning', 'critical:above': 'critical', heat: 'critical' });
    assert.deepEqual(
      ['warning:above', 'critical:below', 'heat', 'freeze', 'budget:above-30', 'door-open'].map(alarmTier),
      ['warning', 'critical', 'regulatory', 'regulatory', 'regulatory', null],
    );
  });

  it('has equivalents for the other presets', () => {
    const frozen = presetProfile('frozen');
    assert.deepEqual(tiers(temps(0, 30, -14.9), frozen), [
      'opened warning:above start=0 raised=15 resolved=-',
      'opened critical:above start=0 raised=30 resolved=-',
    ]);
    // colder than the range does not harm a frozen product: a warning after an hour, no critical
    assert.deepEqual(tiers(temps(0, 120, -30), frozen), [
      'opened warning:below start=0 raised=60 resolved=-',
    ]);
    const ultra = presetProfile('ultra-cold');
    assert.deepEqual(tiers(temps(0, 20, -59), ultra), [
      'opened warning:above start=0 raised=10 resolved=-',
      'opened critical:above start=0 raised=20 resolved=-',
    ]);
    const crt = presetProfile('crt');
    assert.deepEqual(tiers(temps(0, 60, 26), crt), ['opened warning:above start=0 raised=60 resolved=-']);
    assert.deepEqual(tiers(temps(0, 15, 30.5), crt), ['opened critical:above start=0 raised=15 resolved=-']);
  });
});

/** A deterministic noise source in [-1, 1). */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

describe('hysteresis and minimum duration', () => {
  // a logger sampling every 2 s with ±0.3 °C of noise on a load sitting right at +8 °C for an hour
  const rnd = noise(7);
  const noisy: Reading[] = [];
  for (let s = 0; s <= 3600; s += 2) noisy.push({ ts: at(0) + s * 1000, data: { temp_c: 8 + 0.3 * rnd() } });

  it('makes one excursion of a noisy series around the limit, not dozens', () => {
    let crossings = 0;
    for (let i = 1; i < noisy.length; i++) {
      const [a, b] = [noisy[i - 1]?.data.temp_c as number, noisy[i]?.data.temp_c as number];
      if (a > 8 !== b > 8) crossings++;
    }
    assert.ok(crossings > 100, `the raw series crosses +8 °C ${crossings} times`);
    const e = createRuleEngine({ rules: coldChainRules(fridge) });
    const out = e.ingest('truck-1', noisy, noisy.at(-1)?.ts as number).transitions;
    const warnings = out.filter((t) => t.alarm.rule === 'warning:above');
    assert.equal(warnings.length, 1, 'one warning');
    assert.equal(warnings[0]?.type, 'opened');
    assert.ok((warnings[0]?.alarm.raisedAt as number) - (warnings[0]?.alarm.startedAt as number) >= 15 * MIN);
    assert.equal(e.openAlarms('truck-1').filter((a) => a.rule === 'warning:above').length, 1);
  });

  it('without hysteresis and merging the same noise never holds 15 min: no warning at all', () => {
    const bare = resolveProfile({ preset: 'refrigerated', hysteresisC: 0, mergeGapMinutes: 0 });
    const out = createRuleEngine({ rules: coldChainRules(bare) }).ingest(
      't',
      noisy,
      noisy.at(-1)?.ts as number,
    );
    assert.deepEqual(
      out.transitions.filter((t) => t.alarm.rule === 'warning:above'),
      [],
    );
  });

  it('leaves the excursion only when back by more than the hysteresis', () => {
    // 9 °C for 20 min, then 7.6 °C (within 0.5 °C of the limit) for 30 min, then 7.4 °C
    const rs = temps(0, 80, (m) => (m < 20 ? 9 : m < 50 ? 7.6 : 7.4));
    const e = createRuleEngine({ rules: coldChainRules(fridge) });
    const out = e.ingest('t', rs, at(80)).transitions.filter((t) => t.alarm.rule === 'warning:above');
    assert.deepEqual(brief(out), [
      'opened warning:above start=0 raised=15 resolved=- late',
      'resolved warning:above start=0 raised=15 resolved=50 late',
    ]);
  });
});

describe('merging excursions closer than mergeGapMinutes', () => {
  const twoStretches = (dip: number) =>
    temps(0, 60 + dip, (m) => (m < 10 || (m >= 10 + dip && m < 20 + dip) ? 9 : 6));

  it('merges two 10-minute stretches 5 min apart into one excursion that warns', () => {
    const e = createRuleEngine({ rules: coldChainRules(fridge) });
    const out = e
      .ingest('t', twoStretches(5), at(65))
      .transitions.filter((t) => t.alarm.rule === 'warning:above');
    assert.deepEqual(brief(out), [
      'opened warning:above start=0 raised=15 resolved=- late',
      'resolved warning:above start=0 raised=15 resolved=25 late',
    ]);
    assert.match(
      out[1]?.alarm.message ?? '',
      /^Temperature above 8\.0 °C for 25 min, 2 excursions less than 10 min apart merged \(alarm after 15 min\), peak 9\.0 °C$/,
    );
  });

  it('keeps stretches 12 min apart separate: neither lasts 15 min', () => {
    const e = createRuleEngine({ rules: coldChainRules(fridge) });
    const out = e.ingest('t', twoStretches(12), at(72)).transitions;
    assert.deepEqual(
      out.filter((t) => t.alarm.rule === 'warning:above'),
      [],
    );
  });

  it('confirms the end only once the merge gap has passed, dated at the return', () => {
    const e = createRuleEngine({ rules: coldChainRules(fridge) });
    e.ingest('t', temps(0, 20, 9), at(20));
    const back = e.ingest('t', temps(21, 30, 6), at(30)).transitions;
    assert.deepEqual(back, [], 'still within the merge gap at minute 30');
    const done = e.ingest('t', [reading(31, { temp_c: 6 })], at(31)).transitions;
    assert.deepEqual(brief(done.filter((t) => t.alarm.rule === 'warning:above')), [
      'resolved warning:above start=0 raised=15 resolved=21 late',
    ]);
  });
});

describe('per-shipment overrides of the policy', () => {
  it('a shorter warning delay, a switched-off side and a wider merge gap take effect', () => {
    const p = resolveProfile({
      preset: 'refrigerated',
      tiers: {
        warning: { above: { durationMs: 5 * MIN }, below: null },
        critical: { above: { limitC: 10 } },
      },
      mergeGapMinutes: 30,
      hysteresisC: 0.2,
    });
    assert.deepEqual(p.tiers.warning, {
      above: { limitC: 8, inclusive: false, durationMs: 5 * MIN },
      below: null,
    });
    assert.deepEqual(p.tiers.critical.above, { limitC: 10, inclusive: false, durationMs: 60 * MIN });
    assert.deepEqual([p.hysteresisC, p.mergeGapMinutes], [0.2, 30]);
    assert.deepEqual(tiers(temps(0, 5, 9), p), ['opened warning:above start=0 raised=5 resolved=-']);
    assert.deepEqual(tiers(temps(0, 60, 1), p), []);
    assert.deepEqual(tiers(temps(0, 60, 9.5), p), ['opened warning:above start=0 raised=5 resolved=-']);
  });

  it('refuses a bad override with its path', () => {
    assert.throws(
      () => resolveProfile({ preset: 'refrigerated', tiers: { warning: { above: { durationMs: -1 } } } }),
      /tiers\.warning\.above\.durationMs/,
    );
    assert.throws(() => resolveProfile({ preset: 'refrigerated', mergeGapMinutes: 2000 }), /mergeGapMinutes/);
  });
});
