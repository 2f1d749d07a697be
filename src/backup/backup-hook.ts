import { spawn } from 'node:child_process';

export interface HookResult {
  ok: boolean;
  exitCode: number | null;
  durationMs: number;
  /** Why it failed: exit code or signal, and the last line it wrote to stderr (cut to 200 characters). */
  error?: string;
}

/** Most stderr kept in memory from one run. */
const MAX_STDERR = 8192;

/**
 * Runs `backup.command` after a backup: `/bin/sh -c COMMAND vigil-backup FILE`, so the command
 * sees the file as `$1` (and as `VIGIL_BACKUP_FILE`), e.g. `rclone copy "$1" offsite:vigil/` or
 * `restic backup "$1"`. It never throws: a failure (non-zero exit, signal, timeout, cannot start)
 * is returned, and the caller raises the alarm.
 */
export function runBackupHook(command: string, file: string, timeoutMs: number): Promise<HookResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let stderr = '';
    let done = false;
    const finish = (r: Omit<HookResult, 'durationMs'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...r, durationMs: Math.round(performance.now() - t0) });
    };
    const child = spawn('/bin/sh', ['-c', command, 'vigil-backup', file], {
      env: { ...process.env, VIGIL_BACKUP_FILE: file },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    const timer = setTimeout(() => {
      // The whole process group: a shell's children (rclone, restic) too.
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      finish({ ok: false, exitCode: null, error: `timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-MAX_STDERR);
    });
    child.on('error', (err) => finish({ ok: false, exitCode: null, error: `cannot run: ${err.message}` }));
    child.on('close', (code, signal) => {
      if (code === 0) return finish({ ok: true, exitCode: 0 });
      const last = stderr.trim().split('\n').pop()?.slice(0, 200);
      finish({
        ok: false,
        exitCode: code,
        error: `${signal ? `killed by ${signal}` : `exit code ${code}`}${last ? `: ${last}` : ''}`,
      });
    });
  });
}
