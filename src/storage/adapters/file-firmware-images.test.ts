import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFirmwareImageStoreContract } from '../../ota/firmware-image-store-contract.ts';
import { FileFirmwareImages } from './file-firmware-images.ts';

runFirmwareImageStoreContract({
  name: 'FileFirmwareImages',
  make: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-fw-images-'));
    return {
      images: new FileFirmwareImages(join(dir, 'firmware')),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
});
