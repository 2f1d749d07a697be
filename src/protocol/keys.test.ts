import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { deriveDeviceKeys, KDF_SALT } from './keys.ts';

describe('HKDF-SHA256 (RFC 5869 appendix A.1)', () => {
  it('matches test case 1', () => {
    const okm = hkdfSync(
      'sha256',
      Buffer.from('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b', 'hex'),
      Buffer.from('000102030405060708090a0b0c', 'hex'),
      Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex'),
      42,
    );
    assert.equal(
      Buffer.from(okm).toString('hex'),
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });
});

describe('deriveDeviceKeys (DESIGN.md §2)', () => {
  const secret = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');

  it('gives the K_enc and K_mac of the envelope vectors (test/vectors/envelope-v1.json, truck-0042)', () => {
    const keys = deriveDeviceKeys(secret, 'truck-0042');
    assert.equal(
      keys.enc.toString('hex'),
      'c152e51d7b3f15e31dfb5e3b82900532def655565f09bcdb686dcae1d25d1770',
    );
    assert.equal(
      keys.mac.toString('hex'),
      'fa55a0fc103c2571976a9dcede35124ca9f76fdce8386bf6d8d13469cf034c91',
    );
  });

  it('is HKDF-SHA256 with salt "vigil/v1" and info "enc|<id>" and "mac|<id>", 32 bytes each', () => {
    assert.equal(KDF_SALT, 'vigil/v1');
    const keys = deriveDeviceKeys(secret, 'probe-001');
    const hkdf = (info: string) => Buffer.from(hkdfSync('sha256', secret, 'vigil/v1', info, 32));
    assert.deepEqual(keys.enc, hkdf('enc|probe-001'));
    assert.deepEqual(keys.mac, hkdf('mac|probe-001'));
    assert.equal(keys.enc.length, 32);
  });

  it('binds both keys to the device id', () => {
    const a = deriveDeviceKeys(secret, 'truck-0042');
    const b = deriveDeviceKeys(secret, 'truck-0043');
    assert.notDeepEqual(a.enc, b.enc);
    assert.notDeepEqual(a.mac, b.mac);
  });

  it('refuses a device secret that is not 32 bytes', () => {
    for (const n of [0, 16, 31, 33, 64]) {
      assert.throws(() => deriveDeviceKeys(Buffer.alloc(n, 1), 'truck-0042'), {
        message: 'device secret must be 32 bytes',
      });
    }
  });
});
