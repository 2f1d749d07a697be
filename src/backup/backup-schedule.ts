import type { Logger } from 'pino';
import { backupDir, listBackups, removeStaleParts } from './backup-files.ts';
import { type BackupRun, type BackupRunDeps, runBackup } from './backup-run.ts';
import { backupUnsupported } from './backup-support.ts';

export interface BackupSchedule {
  /** When the next backup is due (null: backups not configured or stopped). */
  nextAt(): number | null;
  /** A backup is running. */
  running(): boolean;
  /** Runs one now (the schedule continues from it). */
  runNow(): Promise<BackupRun>;
  stop(): void;
}

/**
 * Scheduled backups inside `vigil start`: every `backup.intervalMinutes` once recipients are
 * configured, counted from the newest backup in the directory (a restart does not postpone a due
 * backup). A failed backup is retried with exponential backoff (from `retryBaseMs`, doubling, at
 * most the interval); the failure is recorded and the continuity monitor raises the alarm. Partial
 * files left by a killed run are removed at start.
 */
export function startBackupSchedule(
  d: BackupRunDeps & { logger: Logger; retryBaseMs?: number; firstDelayMs?: number },
): BackupSchedule {
  const intervalMs = d.config.backup.intervalMinutes * 60_000;
  const dir = backupDir(d.config);
  const removed = removeStaleParts(dir);
  if (removed.length) d.logger.info({ removed }, 'removed partial backup files of an interrupted run');
  const unsupported = backupUnsupported(d.config);
  const configured = d.config.backup.recipients.length > 0 && unsupported === null;
  // One warning at start instead of a failure every interval (docs/operations.md).
  if (unsupported && d.config.backup.recipients.length > 0)
    d.logger.warn(`scheduled backups are off: ${unsupported}`);
  let timer: NodeJS.Timeout | undefined;
  let next: number | null = null;
  let active: Promise<BackupRun> | null = null;
  let failures = 0;
  let stopped = false;

  const schedule = (at: number) => {
    if (stopped) return;
    next = at;
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), Math.max(0, at - d.clock()));
    timer.unref();
  };
  const run = (): Promise<BackupRun> => {
    if (active) return active;
    const p = runBackup(d, { actor: 'system' });
    active = p;
    p.finally(() => {
      active = null;
    }).catch(() => {});
    return p;
  };
  const tick = async () => {
    try {
      const r = await run();
      failures = 0;
      d.logger.info(
        { file: r.backup.file, bytes: r.backup.bytes, ms: Math.round(r.backup.durationMs) },
        'backup written',
      );
      schedule(d.clock() + intervalMs);
    } catch (err) {
      failures++;
      const delay = Math.min(intervalMs, (d.retryBaseMs ?? 60_000) * 2 ** (failures - 1));
      d.logger.error({ err, retryInMs: delay }, 'backup failed; retrying with backoff');
      schedule(d.clock() + delay);
    }
  };
  if (configured) {
    const newest = listBackups(dir)[0];
    const due = newest ? newest.createdAt + intervalMs : d.clock();
    // Not in the middle of start-up: the first backup waits a little even when overdue.
    schedule(Math.max(due, d.clock() + (d.firstDelayMs ?? 30_000)));
  }
  return {
    nextAt: () => next,
    running: () => active !== null,
    runNow: async () => {
      const r = await run();
      if (configured) schedule(d.clock() + intervalMs);
      return r;
    },
    stop: () => {
      stopped = true;
      next = null;
      clearTimeout(timer);
    },
  };
}
