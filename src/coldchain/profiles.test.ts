import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { profileOverrides } from './policy-overrides.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, parseProfile, presetProfile, resolveProfile } from './profiles.ts';

describe('temperature profiles', () => {
  it('refrigerated has the WHO PQS E006 defaults', () => {
    const p = presetProfile('refrigerated');
    assert.equal(p.lowerC, 2);
    assert.equal(p.upperC, 8);
    assert.deepEqual(p.heat, { limitC: 8, inclusive: false, durationMs: 10 * HOUR_MS });
    assert.deepEqual(p.freeze, { limitC: -0.5, inclusive: true, durationMs: 60 * MINUTE_MS });
    assert.equal(p.freezeSensitive, true);
    assert.equal(p.doorOpenMaxMs, 5 * MINUTE_MS);
    assert.equal(p.noPowerMaxMs, 24 * HOUR_MS);
    assert.equal(p.dataGapMaxMs, 30 * MINUTE_MS);
    assert.equal(p.mktWindowMs, DAY_MS);
    assert.deepEqual(p.budgets, []);
  });

  it('frozen and ultra-cold disable the freeze alarm; CRT uses 30-day MKT windows', () => {
    const frozen = presetProfile('frozen');
    assert.deepEqual([frozen.lowerC, frozen.upperC, frozen.freezeSensitive], [-25, -15, false]);
    const ultra = presetProfile('ultra-cold');
    assert.deepEqual([ultra.lowerC, ultra.upperC, ultra.freezeSensitive], [-90, -60, false]);
    assert.equal(ultra.heat.limitC, -60);
    const crt = presetProfile('crt');
    assert.deepEqual([crt.lowerC, crt.upperC, crt.mktWindowMs], [15, 25, 30 * DAY_MS]);
  });

  it('a custom profile needs both limits and defaults heat to the upper one', () => {
    const r = parseProfile({ preset: 'custom', lowerC: 2 });
    assert.deepEqual(r, { errors: ['upperC: required for a custom profile'] });
    const p = resolveProfile({ preset: 'custom', lowerC: 10, upperC: 12, heat: { durationMs: HOUR_MS } });
    assert.equal(p.heat.limitC, 12);
    assert.equal(p.heat.durationMs, HOUR_MS);
    assert.equal(p.freezeSensitive, true);
    assert.equal(resolveProfile({ preset: 'custom', lowerC: -40, upperC: -30 }).freezeSensitive, false);
  });

  it('overrides follow through: a new upper limit moves the heat limit, intervals set the gap limit', () => {
    const p = resolveProfile({
      preset: 'refrigerated',
      upperC: 9,
      expectedIntervalMs: MINUTE_MS,
      dataGapIntervals: 10,
      heat: { inclusive: true },
      budgets: [
        { kind: 'above', limitC: 30, inclusive: true, budgetMs: 10 * HOUR_MS },
        { kind: 'below', budgetMs: HOUR_MS },
      ],
    });
    assert.equal(p.heat.limitC, 9);
    assert.equal(p.heat.inclusive, true);
    assert.equal(p.dataGapMaxMs, 10 * MINUTE_MS);
    assert.deepEqual(
      p.budgets.map((b) => [b.name, b.limitC, b.inclusive]),
      [
        ['above-30', 30, true],
        ['below-2', 2, false],
      ],
    );
  });

  it('rejects an inverted range, unknown keys and duplicate budget names with their paths', () => {
    const r = parseProfile({ preset: 'refrigerated', lowerC: 9 });
    assert.ok('errors' in r && r.errors.some((e) => e.startsWith('upperC:')));
    const u = parseProfile({ preset: 'refrigerated', colour: 'blue' });
    assert.ok('errors' in u && u.errors.length === 1);
    const d = parseProfile({
      preset: 'refrigerated',
      budgets: [
        { kind: 'above', budgetMs: 1000 },
        { kind: 'above', budgetMs: 2000 },
      ],
    });
    assert.ok('errors' in d && d.errors.some((e) => e.startsWith('budgets.1.name:')));
    assert.throws(
      () => resolveProfile({ preset: 'nope' }),
      (e) => isVigilError(e, 'VIGIL_ERR_PROFILE'),
    );
  });

  it('returns a deep-frozen profile', () => {
    const p = presetProfile('refrigerated');
    assert.ok(Object.isFrozen(p) && Object.isFrozen(p.heat) && Object.isFrozen(p.budgets));
  });
});

describe('alarm policy of a profile', () => {
  it('refrigerated has the warning, critical and regulatory tiers of docs/alarms.md', () => {
    const p = presetProfile('refrigerated');
    assert.deepEqual(p.tiers, {
      warning: {
        above: { limitC: 8, inclusive: false, durationMs: 15 * MINUTE_MS },
        below: { limitC: 2, inclusive: false, durationMs: 5 * MINUTE_MS },
      },
      critical: {
        above: { limitC: 8, inclusive: false, durationMs: 60 * MINUTE_MS },
        below: { limitC: -0.5, inclusive: true, durationMs: 5 * MINUTE_MS },
      },
    });
    assert.deepEqual([p.hysteresisC, p.mergeGapMinutes], [0.5, 10]);
    assert.deepEqual(profileOverrides(p), []);
  });

  it('moves the tiers with the range and names a shipment’s own settings', () => {
    const p = resolveProfile({
      preset: 'refrigerated',
      upperC: 9,
      tiers: { critical: { below: null } },
      mergeGapMinutes: 5,
    });
    assert.equal(p.tiers.warning.above?.limitC, 9);
    assert.equal(p.tiers.critical.below, null);
    assert.deepEqual(profileOverrides(p), [
      'heat.limitC',
      'mergeGapMinutes',
      'tiers.critical.above.limitC',
      'tiers.critical.below',
      'tiers.warning.above.limitC',
      'upperC',
    ]);
    assert.deepEqual(profileOverrides(resolveProfile({ preset: 'custom', lowerC: 15, upperC: 25 })), []);
  });
});
