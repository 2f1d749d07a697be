import type { Condition } from '../alarms/condition.ts';
import type { BackupState } from './backup-state.ts';

/**
 * The backup alarms, from what the backup state and directory say (pure):
 * - `backup-stale`: backups are configured and the newest good backup is older than 2 × the
 *   interval (or none exists 2 × the interval after the server started);
 * - `backup-failed`: the last attempt failed (cleared by the next success);
 * - `backup-hook-failed`: the off-site hook (`backup.command`) failed after the last backup.
 */
export function backupConditions(p: {
  configured: boolean;
  intervalMs: number;
  newestAt: number | null;
  state: BackupState;
  startedAt: number;
  now: number;
}): Condition[] {
  const limit = 2 * p.intervalMs;
  const ref = p.newestAt ?? p.startedAt;
  const stale = p.configured && p.now - ref > limit;
  const hours = (ms: number) => `${(ms / 3_600_000).toFixed(1)} h`;
  return [
    {
      rule: 'backup-stale',
      active: stale,
      severity: 'critical',
      message:
        p.newestAt === null
          ? `no backup yet, ${hours(p.now - p.startedAt)} after start (limit ${hours(limit)})`
          : `newest good backup is ${hours(p.now - p.newestAt)} old (limit ${hours(limit)}, 2 x backup.intervalMinutes)`,
      ...(stale ? { since: ref + limit } : {}),
    },
    {
      rule: 'backup-failed',
      active: p.configured && p.state.lastFailure !== null,
      severity: 'warning',
      message: `backup failed: ${p.state.lastFailure?.error ?? ''}`.slice(0, 300),
    },
    {
      rule: 'backup-hook-failed',
      active: p.state.lastHook !== null && !p.state.lastHook.ok,
      severity: 'warning',
      message: `off-site copy (backup.command) failed: ${p.state.lastHook?.error ?? ''}`.slice(0, 300),
    },
  ];
}
