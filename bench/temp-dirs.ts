import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs = new Set<string>();
let hooked = false;

/** A fresh private temp directory, removed by {@link removeTempDir} or, at the latest, on exit. */
export function makeTempDir(prefix: string): string {
  if (!hooked) {
    hooked = true;
    // Last line of defence: a crash or Ctrl-C must not leave databases and keys in /tmp.
    process.once('exit', removeAllTempDirs);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        removeAllTempDirs();
        process.exit(130);
      });
    }
  }
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

export function removeAllTempDirs(): void {
  for (const d of [...dirs]) {
    try {
      removeTempDir(d);
    } catch {
      /* best effort on exit */
    }
  }
}
