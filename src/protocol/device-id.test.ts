import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEVICE_ID_RE, DEVICE_ID_RULE, isDeviceId } from './device-id.ts';

describe('device ids', () => {
  it('accepts lowercase letters, digits and dashes, 3 to 64 characters, starting with a letter or digit', () => {
    for (const id of ['abc', 'truck-0042', '0ab', '9-9', 'a--', `a${'b'.repeat(63)}`, 'probe-001']) {
      assert.equal(isDeviceId(id), true, id);
    }
  });

  it('refuses ids shorter than 3 or longer than 64 characters', () => {
    for (const id of ['', 'a', 'ab', `a${'b'.repeat(64)}`]) assert.equal(isDeviceId(id), false, id);
  });

  it('refuses a leading dash, uppercase, and every character with a meaning in topics or ACLs', () => {
    for (const id of [
      '-abc',
      'Abc',
      'abC',
      'ab+c',
      'ab#c',
      'ab/c',
      '$abc',
      'ab\u0000c',
      'ab_c',
      'ab.c',
      'ab c',
    ]) {
      assert.equal(isDeviceId(id), false, JSON.stringify(id));
    }
  });

  it('matches the whole string, not a part of it', () => {
    // A valid id with a forbidden character before or after it.
    for (const id of ['#truck-0042', 'truck-0042/', 'truck-0042\n', '+truck-0042+']) {
      assert.equal(isDeviceId(id), false, JSON.stringify(id));
    }
  });

  it('refuses values that are not strings, even when their text would be a valid id', () => {
    for (const v of [12345, 100n, ['truck-0042'], { toString: () => 'truck-0042' }, null, undefined]) {
      assert.equal(isDeviceId(v), false, String(v));
    }
  });

  it('states the rule with its pattern for error messages', () => {
    assert.equal(
      DEVICE_ID_RULE,
      'must match ^[a-z0-9][a-z0-9-]{2,63}$ (lowercase letters, digits, dashes; 3-64 chars)',
    );
    assert.equal(DEVICE_ID_RE.source, '^[a-z0-9][a-z0-9-]{2,63}$');
  });
});
