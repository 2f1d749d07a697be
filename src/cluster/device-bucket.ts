import { createHash } from 'node:crypto';

/**
 * The bucket of a device for rules ownership: the first 4 bytes of SHA-256(device id) modulo the
 * bucket count. Stable across processes and releases (changing it moves every device).
 */
export function deviceBucket(deviceId: string, buckets: number): number {
  return createHash('sha256').update(deviceId, 'utf8').digest().readUInt32BE(0) % buckets;
}
