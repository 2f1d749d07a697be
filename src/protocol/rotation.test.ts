import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildRotationVectors, fixedP256 } from '../../test/vectors/generate-rotation.ts';
import { commandSchema } from './bodies.ts';
import {
  deriveRotatedSecret,
  ecdhP256,
  p256Point,
  p256PublicKeyFromPoint,
  ROTATE_SALT,
  rotatedSecretFor,
  rotationInfo,
} from './rotation.ts';

const file = JSON.parse(
  readFileSync(new URL('../../test/vectors/rotation-v1.json', import.meta.url), 'utf8'),
);

describe('rotation KDF (docs/protocol.md §12)', () => {
  it('test/vectors/rotation-v1.json is exactly what the code produces', () => {
    assert.deepEqual(file, JSON.parse(JSON.stringify(buildRotationVectors())));
  });

  it('each vector: the device (own private key, server point) and the server agree on the secret', () => {
    for (const v of file.vectors) {
      const device = fixedP256(v.device_private_d_hex);
      const epk = Buffer.from(v.epk_b64url, 'base64url');
      assert.equal(epk.toString('hex'), v.server_ephemeral_public_point_hex);
      const onDevice = rotatedSecretFor(
        device.privateKey,
        p256PublicKeyFromPoint(epk),
        v.device_id,
        v.kid,
        epk,
      );
      assert.equal(onDevice.toString('hex'), v.secret_hex, v.name);
      // The spelled-out bytes: HKDF(ikm = X coordinate, salt, info = id|kid|point).
      const info = Buffer.concat([Buffer.from(`${v.device_id}|${v.kid}|`), epk]);
      assert.equal(info.toString('hex'), v.hkdf_info_hex);
      const manual = Buffer.from(
        hkdfSync('sha256', Buffer.from(v.ecdh_shared_secret_hex, 'hex'), 'vigil/v1/rotate', info, 32),
      );
      assert.equal(manual.toString('hex'), v.secret_hex);
      assert.ok(commandSchema.safeParse(v.command_body).success, 'the rotate_key body is a valid command');
    }
  });

  it('a holder of the old secret cannot derive the new one: the derivation needs the device private key', () => {
    const v = file.vectors[0];
    const epk = Buffer.from(v.epk_b64url, 'base64url');
    const devicePublic = p256PublicKeyFromPoint(Buffer.from(v.device_public_point_hex, 'hex'));
    const oldSecret = Buffer.alloc(32, 7);
    // Everything the thief has: the old secret (so the decrypted rotate_key command: kid and the
    // server's ephemeral point), the device certificate's public key, and keys of their own.
    const thief = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const attempts = [
      rotatedSecretFor(thief, p256PublicKeyFromPoint(epk), v.device_id, v.kid, epk),
      rotatedSecretFor(thief, devicePublic, v.device_id, v.kid, epk),
      deriveRotatedSecret(oldSecret, v.device_id, v.kid, epk),
      Buffer.from(hkdfSync('sha256', oldSecret, ROTATE_SALT, rotationInfo(v.device_id, v.kid, epk), 32)),
      createHash('sha256')
        .update(Buffer.concat([oldSecret, epk, devicePublic.export({ format: 'der', type: 'spki' })]))
        .digest(),
    ];
    for (const a of attempts) assert.notEqual(a.toString('hex'), v.secret_hex);
    // Same id, kid and server point, but another device key: another secret. The private key is an input.
    const otherDevice = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    assert.notEqual(
      rotatedSecretFor(otherDevice, p256PublicKeyFromPoint(epk), v.device_id, v.kid, epk).toString('hex'),
      v.secret_hex,
    );
    // And with the device's private key it is the vector's secret.
    const device = fixedP256(v.device_private_d_hex);
    assert.equal(
      rotatedSecretFor(device.privateKey, p256PublicKeyFromPoint(epk), v.device_id, v.kid, epk).toString(
        'hex',
      ),
      v.secret_hex,
    );
  });

  it('binds the device id, the kid and the ephemeral point', () => {
    const a = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const b = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const point = p256Point(b.publicKey);
    const shared = ecdhP256(a.privateKey, b.publicKey);
    const base = deriveRotatedSecret(shared, 'truck-0042', 2, point).toString('hex');
    assert.notEqual(deriveRotatedSecret(shared, 'truck-0043', 2, point).toString('hex'), base);
    assert.notEqual(deriveRotatedSecret(shared, 'truck-0042', 3, point).toString('hex'), base);
    const other = p256Point(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);
    assert.notEqual(deriveRotatedSecret(shared, 'truck-0042', 2, other).toString('hex'), base);
  });

  it('refuses a compressed or malformed point and a kid below 1', () => {
    const point = p256Point(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);
    assert.throws(() => rotationInfo('truck-0042', 0, point), RangeError);
    assert.throws(() => rotationInfo('truck-0042', 2, point.subarray(0, 33)), RangeError);
    const bad = Buffer.from(point);
    bad[0] = 0x02;
    assert.throws(() => p256PublicKeyFromPoint(bad), RangeError);
    const offCurve = Buffer.from(point);
    offCurve[64] = (offCurve[64] ?? 0) ^ 1;
    assert.throws(() => p256PublicKeyFromPoint(offCurve));
  });

  it('names each refusal', () => {
    const point = p256Point(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);
    const compressedTag = Buffer.from(point);
    compressedTag[0] = 0x02;
    const kidError = { name: 'RangeError', message: 'kid must be a positive integer' };
    for (const kid of [0, -1, 1.5, Number.NaN, 2 ** 53])
      assert.throws(() => rotationInfo('truck-0042', kid, point), kidError);
    const pointError = {
      name: 'RangeError',
      message: 'ephemeral public key must be an uncompressed P-256 point',
    };
    for (const p of [compressedTag, point.subarray(0, 64), Buffer.concat([point, Buffer.of(0)])]) {
      assert.throws(() => rotationInfo('truck-0042', 2, p), pointError);
    }
    for (const n of [31, 33]) {
      assert.throws(() => deriveRotatedSecret(Buffer.alloc(n, 1), 'truck-0042', 2, point), {
        name: 'RangeError',
        message: 'ECDH P-256 shared secret must be 32 bytes',
      });
    }
    for (const p of [compressedTag, point.subarray(0, 64), Buffer.concat([point, Buffer.of(0)])]) {
      assert.throws(() => p256PublicKeyFromPoint(p), {
        name: 'RangeError',
        message: 'not an uncompressed P-256 point',
      });
    }
    for (const key of [
      generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey,
      generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
      generateKeyPairSync('ed25519').publicKey,
      generateKeyPairSync('x25519').privateKey,
    ]) {
      assert.throws(() => p256Point(key), { name: 'RangeError', message: 'not a P-256 key' });
    }
  });

  it('puts the device id into the info as UTF-8, then the decimal kid and the raw point', () => {
    const point = p256Point(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);
    const info = rotationInfo('bed-ü', 12, point);
    assert.deepEqual(
      info,
      Buffer.concat([Buffer.from([0x62, 0x65, 0x64, 0x2d, 0xc3, 0xbc]), Buffer.from('|12|'), point]),
    );
  });

  it('takes the point of a private key too, and makes a key of a point that round-trips', () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const point = p256Point(pair.privateKey);
    assert.deepEqual(point, p256Point(pair.publicKey));
    assert.equal(point.length, 65);
    assert.equal(point[0], 0x04);
    assert.ok(p256PublicKeyFromPoint(point).equals(pair.publicKey));
  });
});
