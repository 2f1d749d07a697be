import { hkdfSync } from 'node:crypto';

/** DESIGN.md §2: HKDF-SHA256 with this salt. */
export const KDF_SALT = 'vigil/v1';

/** The two per-device keys derived from one device secret and key generation. */
export interface DeviceKeys {
  /** K_enc = HKDF(secret, info = "enc|" + deviceId), 32 bytes; Ascon-AEAD128 uses the first 16. */
  enc: Buffer;
  /** K_mac = HKDF(secret, info = "mac|" + deviceId), 32 bytes. */
  mac: Buffer;
}

// RFC 5869 (HKDF) via node:crypto; tested against RFC 5869 appendix A vectors in keys.test.ts.
export function deriveDeviceKeys(secret: Uint8Array, deviceId: string): DeviceKeys {
  if (secret.length !== 32) throw new Error('device secret must be 32 bytes');
  return {
    enc: Buffer.from(hkdfSync('sha256', secret, KDF_SALT, `enc|${deviceId}`, 32)),
    mac: Buffer.from(hkdfSync('sha256', secret, KDF_SALT, `mac|${deviceId}`, 32)),
  };
}
