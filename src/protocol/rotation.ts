import { createPublicKey, diffieHellman, hkdfSync, type KeyObject } from 'node:crypto';

/** HKDF salt of the rotation KDF (docs/protocol.md §12.2): the 15 ASCII bytes `vigil/v1/rotate`. */
export const ROTATE_SALT = 'vigil/v1/rotate';
/** An uncompressed SEC 1 P-256 point: 0x04 ‖ X (32) ‖ Y (32). */
export const P256_POINT_BYTES = 65;

/**
 * The HKDF `info` of a rotation (docs/protocol.md §12.2):
 * UTF-8(deviceId) ‖ "|" ‖ ASCII(decimal kid) ‖ "|" ‖ the server's ephemeral public key as an
 * uncompressed SEC 1 point (65 raw bytes, not base64url).
 */
export function rotationInfo(deviceId: string, kid: number, serverEphemeralPublic: Uint8Array): Buffer {
  if (!Number.isSafeInteger(kid) || kid < 1) throw new RangeError('kid must be a positive integer');
  if (serverEphemeralPublic.length !== P256_POINT_BYTES || serverEphemeralPublic[0] !== 0x04)
    throw new RangeError('ephemeral public key must be an uncompressed P-256 point');
  // Buffer.from(string) is UTF-8.
  return Buffer.concat([Buffer.from(`${deviceId}|${kid}|`), Buffer.from(serverEphemeralPublic)]);
}

/**
 * `secret_kid = HKDF-SHA256(ikm = ECDH shared secret (the 32-byte X coordinate, SEC 1 §3.3.1),
 * salt = "vigil/v1/rotate", info = rotationInfo(...), L = 32)` (RFC 5869). Pure.
 */
export function deriveRotatedSecret(
  sharedSecret: Uint8Array,
  deviceId: string,
  kid: number,
  serverEphemeralPublic: Uint8Array,
): Buffer {
  if (sharedSecret.length !== 32) throw new RangeError('ECDH P-256 shared secret must be 32 bytes');
  return Buffer.from(
    hkdfSync('sha256', sharedSecret, ROTATE_SALT, rotationInfo(deviceId, kid, serverEphemeralPublic), 32),
  );
}

/** A P-256 public key object from its uncompressed SEC 1 point. */
export function p256PublicKeyFromPoint(point: Uint8Array): KeyObject {
  if (point.length !== P256_POINT_BYTES || point[0] !== 0x04)
    throw new RangeError('not an uncompressed P-256 point');
  const b = Buffer.from(point);
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: b.subarray(1, 33).toString('base64url'),
      y: b.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
}

/** The uncompressed SEC 1 point of a P-256 public (or private) key object. */
export function p256Point(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  // JWK names the curve P-256 only for kty EC (RFC 7518 §6.2.1.1); an EC key exports x and y.
  if (jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new RangeError('not a P-256 key');
  return Buffer.concat([
    Buffer.from([0x04]),
    Buffer.from(jwk.x, 'base64url'),
    Buffer.from(jwk.y, 'base64url'),
  ]);
}

/** ECDH on P-256: the 32-byte shared secret between a private key and a peer public key. */
export function ecdhP256(privateKey: KeyObject, peerPublic: KeyObject): Buffer {
  return diffieHellman({ privateKey, publicKey: peerPublic });
}

/**
 * Both sides of §12.2 in one call: the new secret from one party's private key and the other's
 * public key. The server passes (its ephemeral private key, the device certificate's key); the
 * device passes (its certificate private key, the ephemeral point from `rotate_key`).
 */
export function rotatedSecretFor(
  ownPrivate: KeyObject,
  peerPublic: KeyObject,
  deviceId: string,
  kid: number,
  serverEphemeralPublic: Uint8Array,
): Buffer {
  return deriveRotatedSecret(ecdhP256(ownPrivate, peerPublic), deviceId, kid, serverEphemeralPublic);
}
