import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEVICE_PROFILES, isDeviceProfile } from './device-profile.ts';

describe('device profiles', () => {
  it('are exactly the three profiles with a telemetry body (docs/protocol.md §7)', () => {
    assert.deepEqual([...DEVICE_PROFILES], ['vaccine-transport', 'patient-vitals', 'temperature-probe']);
    for (const p of DEVICE_PROFILES) assert.equal(isDeviceProfile(p), true, p);
  });

  it('refuses other names, other cases and values that are not strings', () => {
    for (const v of [
      '',
      'Vaccine-Transport',
      'vaccine',
      'vaccine-transport ',
      'generic',
      new String('patient-vitals'),
      ['temperature-probe'],
      { toString: () => 'temperature-probe' },
      null,
      undefined,
      1,
    ]) {
      assert.equal(isDeviceProfile(v), false, String(v));
    }
  });
});
