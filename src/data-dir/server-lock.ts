import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { VigilError } from '../errors.ts';

/** The pid of the `vigil start` that holds the lock file, if that process is alive. */
export function serverLockHolder(path: string): number | null {
  if (!existsSync(path)) return null;
  const pid = Number(readFileSync(path, 'utf8').trim());
  if (!(pid > 0) || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}

/** Throws when another `vigil start` runs on the data directory of this lock file. */
export function checkServerLock(path: string): void {
  const pid = serverLockHolder(path);
  if (pid !== null) {
    throw new VigilError(
      'VIGIL_ERR_DATA_DIR',
      `vigil start already runs on this data directory (pid ${pid})`,
    );
  }
}

/**
 * Refuses a second `vigil start` on one data directory (other commands are fine alongside);
 * returns the release function.
 */
export function takeServerLock(path: string): () => void {
  checkServerLock(path);
  writeFileSync(path, `${process.pid}\n`);
  return () => {
    try {
      if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
    } catch {
      /* already gone */
    }
  };
}
