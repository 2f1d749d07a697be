import type { FirmwareRecord } from './ota-store.ts';

/** The JSON form of an uploaded image (API, CLI `--json`). */
export function firmwareView(f: FirmwareRecord) {
  return {
    version: f.version,
    profile: f.profile,
    size: f.manifest.size,
    sha256: f.manifest.sha256,
    securityCounter: f.manifest.securityCounter,
    minVersion: f.manifest.minVersion,
    keyId: f.manifest.keyId,
    addedBy: f.addedBy,
    addedAt: new Date(f.addedAt).toISOString(),
  };
}
