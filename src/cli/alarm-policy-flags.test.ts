import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { alarmPolicyFromFlags } from './alarm-policy-flags.ts';

const MIN = 60_000;

describe('vigil shipment create alarm-policy flags', () => {
  it('reads limits, inclusiveness, durations, off switches, hysteresis and merge gap', () => {
    assert.deepEqual(
      alarmPolicyFromFlags({
        'warning-above': '8.5:20m',
        'warning-below': 'off',
        'critical-above': '>=9:1h',
        'critical-below': '<=-1:10m',
        hysteresis: '0.3',
        'merge-gap-minutes': '5',
      }),
      {
        tiers: {
          warning: { above: { limitC: 8.5, durationMs: 20 * MIN }, below: null },
          critical: {
            above: { limitC: 9, inclusive: true, durationMs: 60 * MIN },
            below: { limitC: -1, inclusive: true, durationMs: 10 * MIN },
          },
        },
        hysteresisC: 0.3,
        mergeGapMinutes: 5,
      },
    );
    assert.deepEqual(alarmPolicyFromFlags({ 'warning-above': '30m' }), {
      tiers: { warning: { above: { durationMs: 30 * MIN } } },
    });
    assert.equal(alarmPolicyFromFlags({}), undefined);
  });

  it('refuses a malformed spec or an operator of the wrong side as a usage error', () => {
    for (const [flag, value] of [
      ['warning-above', '<8:15m'],
      ['critical-below', '>-1:5m'],
      ['warning-above', 'eight'],
      ['warning-above', '8:soon'],
      ['hysteresis', '-1'],
    ] as const) {
      assert.throws(
        () => alarmPolicyFromFlags({ [flag]: value }),
        (e) => isVigilError(e, 'VIGIL_ERR_USAGE'),
        `${flag} ${value}`,
      );
    }
  });
});
