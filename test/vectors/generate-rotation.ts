/**
 * Builds test/vectors/rotation-v1.json: the ECDH P-256 + HKDF-SHA256 derivation of a rotated
 * device secret (docs/protocol.md §12) and of a claimed device's kid-1 secret (§14), from fixed
 * private scalars, so firmware can check its implementation byte for byte.
 * Run: node test/vectors/generate-rotation.ts > test/vectors/rotation-v1.json
 * src/protocol/rotation.test.ts regenerates and compares, so the file never drifts from the code.
 */
import { createECDH, createPrivateKey, type KeyObject } from 'node:crypto';
import { deriveDeviceKeys } from '../../src/protocol/keys.ts';
import { ecdhP256, p256PublicKeyFromPoint, ROTATE_SALT, rotatedSecretFor, rotationInfo } from '../../src/protocol/rotation.ts';

/** A P-256 key pair from a fixed 32-byte private scalar (test material only). */
export function fixedP256(dHex: string): { privateKey: KeyObject; point: Buffer } {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(dHex, 'hex'));
  const point = ecdh.getPublicKey(undefined, 'uncompressed');
  const privateKey = createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      d: Buffer.from(dHex, 'hex').toString('base64url'),
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
  return { privateKey, point };
}

const CASES = [
  {
    name: 'rotate-kid-2',
    device_id: 'truck-0042',
    kid: 2,
    device_d: 'c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721',
    server_d: '519b423d715f8b581f4fa8ee59f4771a5b44c8130b4e3eacca54a56dda72b464',
  },
  {
    name: 'rotate-kid-17',
    device_id: 'sim-vitals-001',
    kid: 17,
    device_d: '0f56db78ca460b055c500064824bed999a25aaf48ebb519ac201537b85479813',
    server_d: 'e283871239837e13b95f789e6e1af63bf61c918c992e62bca040d64cad1fc2ef',
  },
  {
    // §14: a claimed device's first secret uses the same KDF with kid 1 and the CSR's key.
    name: 'claim-kid-1',
    device_id: 'fridge-ward-3',
    kid: 1,
    device_d: '7d7dc5f71eb29ddaf80d6214632eeae03d9058af1fb6d22ed80badb62bc1a534',
    server_d: 'a8ee0e5cb4f21d2ad6f5cbdd2e7c3d5ebcd1d1a2f3e4d5c6b7a8998877665544',
  },
];

export function buildRotationVectors() {
  const vectors = CASES.map((c) => {
    const device = fixedP256(c.device_d);
    const server = fixedP256(c.server_d);
    const shared = ecdhP256(server.privateKey, p256PublicKeyFromPoint(device.point));
    const secret = rotatedSecretFor(server.privateKey, p256PublicKeyFromPoint(device.point), c.device_id, c.kid, server.point);
    const keys = deriveDeviceKeys(secret, c.device_id);
    return {
      name: c.name,
      device_id: c.device_id,
      kid: c.kid,
      device_private_d_hex: c.device_d,
      device_public_point_hex: device.point.toString('hex'),
      server_ephemeral_private_d_hex: c.server_d,
      server_ephemeral_public_point_hex: server.point.toString('hex'),
      epk_b64url: server.point.toString('base64url'),
      ecdh_shared_secret_hex: shared.toString('hex'),
      hkdf_info_hex: rotationInfo(c.device_id, c.kid, server.point).toString('hex'),
      secret_hex: secret.toString('hex'),
      secret_b64url: secret.toString('base64url'),
      k_enc_hex: keys.enc.toString('hex'),
      k_mac_hex: keys.mac.toString('hex'),
      command_body: { id: '6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10', op: 'rotate_key', args: { kid: c.kid, epk: server.point.toString('base64url') } },
    };
  });
  return {
    format: 'vigil key rotation v1 test vectors',
    spec: 'docs/protocol.md sections 12 and 14',
    kdf: {
      ecdh: 'P-256 (secp256r1); shared secret = the 32-byte X coordinate (SEC 1 section 3.3.1)',
      hash: 'SHA-256',
      salt: ROTATE_SALT,
      info: 'UTF-8(device_id) | "|" | ASCII(decimal kid) | "|" | server ephemeral public key (65-byte uncompressed point)',
      length: 32,
    },
    notes: [
      'Private scalars are fixed for testing only; a server draws a fresh ephemeral key per rotation.',
      'k_enc and k_mac are derived from the new secret exactly as in section 4 (salt vigil/v1).',
    ],
    vectors,
  };
}

if (import.meta.main) {
  process.stdout.write(`${JSON.stringify(buildRotationVectors(), null, 2)}\n`);
}
