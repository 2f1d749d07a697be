/** Firmware signed with a test key and uploaded to a running instance (docs/ota.md). */
import type { KeyObject } from 'node:crypto';
import { signManifest } from '../../src/ota/firmware-manifest.ts';
import type { FirmwareRecord } from '../../src/ota/ota-store.ts';
import { otaOf } from '../../src/server/ota-wiring.ts';
import type { Instance } from './instance.ts';

/** Signs `image` as `version` for `profile` with `key` and uploads it as `test`. */
export function uploadSigned(
  inst: Instance,
  key: KeyObject,
  image: Buffer,
  version: string,
  o: { profile?: string; minVersion?: string } = {},
): Promise<FirmwareRecord> {
  const m = signManifest({
    image,
    version,
    profile: o.profile ?? 'temperature-probe',
    minVersion: o.minVersion,
    privateKey: key,
  });
  return otaOf(inst.server).firmware.add(image, JSON.stringify(m), 'test');
}
