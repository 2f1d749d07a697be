import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { VigilError } from '../errors.ts';
import { ALGS } from '../protocol/aead.ts';
import { DEVICE_PROFILES } from '../protocol/device-profile.ts';

const deviceJson = z.object({
  id: z.string(),
  profile: z.enum(DEVICE_PROFILES),
  kid: z.number().int().positive(),
  secret: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  alg: z.enum(ALGS),
  broker_url: z.string(),
  /** Ordered broker list (primary first); bundles written before it existed have broker_url only. */
  brokers: z
    .array(z.string().regex(/^mqtts:\/\//))
    .min(1)
    .optional(),
  topic_prefix: z.string(),
  /** Trusted firmware signing keys (`ed25519:…`); bundles made before OTA have none. */
  firmware_keys: z.array(z.string()).default([]),
});

export type DeviceInfo = z.infer<typeof deviceJson>;

/**
 * Replaces one file of a device's bundle (new kid in device.json, a renewed certificate and key, a
 * trust bundle) by a rename, as firmware writes flash: never half a file.
 */
export function writeBundleFile(dir: string, name: string, data: string, mode = 0o600): void {
  const path = join(dir, name);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

/** The brokers a device tries, in order (docs/protocol.md §8). */
export function bundleBrokers(info: DeviceInfo): string[] {
  return info.brokers ?? [info.broker_url];
}

export interface DeviceBundleFiles {
  dir: string;
  info: DeviceInfo;
  ca: string;
  cert: string;
  key: string;
}

/** Reads a bundle written by `vigil device add`. */
export function readDeviceBundle(dir: string): DeviceBundleFiles {
  try {
    const info = deviceJson.parse(JSON.parse(readFileSync(join(dir, 'device.json'), 'utf8')));
    return {
      dir,
      info,
      ca: readFileSync(join(dir, 'ca.crt'), 'utf8'),
      cert: readFileSync(join(dir, 'device.crt'), 'utf8'),
      key: readFileSync(join(dir, 'device.key'), 'utf8'),
    };
  } catch (err) {
    throw new VigilError(
      'VIGIL_ERR_USAGE',
      `${dir} is not a valid device bundle: ${(err as Error).message.slice(0, 200)}`,
    );
  }
}
