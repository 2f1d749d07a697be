import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { VigilContext } from '../data-dir/context.ts';
import type { DeviceRecord } from '../storage/store.ts';
import { type AddDeviceOptions, addDevice } from './device-service.ts';

/** The files of a device bundle (what {@link addDevice} writes). */
export const BUNDLE_FILES = [
  'ca.crt',
  'device.crt',
  'device.key',
  'device.json',
  'vigil_device_config.h',
] as const;

/** A bundle's files by name. */
export type BundleFiles = Record<(typeof BUNDLE_FILES)[number], string>;

/**
 * Provisions a device (as {@link addDevice}) and returns its bundle instead of leaving it on disk:
 * the bundle is written to a private temporary directory inside the data directory (mode 0700),
 * read back and deleted, so that the caller's answer is its only copy (API provisioning).
 */
export async function provisionInMemory(
  ctx: VigilContext,
  o: Omit<AddDeviceOptions, 'outDir'>,
): Promise<{ device: DeviceRecord; bundle: BundleFiles }> {
  const tmpRoot = join(ctx.paths.dataDir, 'tmp');
  mkdirSync(tmpRoot, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(tmpRoot, 'bundle-'));
  try {
    const b = await addDevice(ctx, { ...o, outDir: join(dir, o.id) });
    const bundle = Object.fromEntries(
      BUNDLE_FILES.map((f) => [f, readFileSync(join(b.dir, f), 'utf8')]),
    ) as BundleFiles;
    return { device: b.device, bundle };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
