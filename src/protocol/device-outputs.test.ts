import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkOutput, PROFILE_OUTPUTS } from './device-outputs.ts';
import { DEVICE_PROFILES } from './device-profile.ts';

describe('device outputs', () => {
  it('declares one output per profile (docs/protocol.md §7.4)', () => {
    assert.deepEqual(
      DEVICE_PROFILES.map((p) => PROFILE_OUTPUTS[p].map((o) => [o.name, o.kind, o.label])),
      [[['buzzer', 'buzzer', 'Buzzer']], [['led', 'level', 'LED level']], [['relay', 'relay', 'Relay']]],
    );
  });

  it('sets a level to an integer 0..100 and nothing else', () => {
    for (const v of [0, 1, 99, 100]) assert.equal(checkOutput('patient-vitals', 'led', v), null, String(v));
    for (const v of [-1, 101, 50.5, '50', true, null, Number.NaN]) {
      assert.equal(checkOutput('patient-vitals', 'led', v), 'value must be an integer 0..100', String(v));
    }
  });

  it('switches a buzzer or a relay with a boolean only', () => {
    assert.equal(checkOutput('vaccine-transport', 'buzzer', true), null);
    assert.equal(checkOutput('temperature-probe', 'relay', false), null);
    for (const v of [1, 0, 'true', null]) {
      assert.equal(checkOutput('temperature-probe', 'relay', v), 'value must be true or false', String(v));
    }
  });

  it('names the outputs of the profile for an unknown one', () => {
    assert.equal(checkOutput('temperature-probe', 'led', 50), 'unknown output (this profile has relay)');
    assert.equal(checkOutput('patient-vitals', 'buzzer', true), 'unknown output (this profile has led)');
    assert.equal(
      checkOutput('vaccine-transport', undefined, true),
      'unknown output (this profile has buzzer)',
    );
  });
});
