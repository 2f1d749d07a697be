import { rmSync } from 'node:fs';
import type { VigilConfig } from '../config/schema.ts';
import type { DataPaths } from '../data-dir/paths.ts';
import { VigilError } from '../errors.ts';
import type { MasterKey } from '../keys/master-key.ts';
import type { ReportSigner } from '../reports/signing.ts';
import type { DatabaseSnapshots } from '../storage/database-snapshots.ts';
import type { Store } from '../storage/store.ts';
import { backupDir, listBackups } from './backup-files.ts';
import { type HookResult, runBackupHook } from './backup-hook.ts';
import { updateBackupState } from './backup-state.ts';
import { backupUnsupported } from './backup-support.ts';
import { type CreatedBackup, createBackup } from './create-backup.ts';
import { backupsToKeep } from './retention.ts';

export interface BackupRunDeps {
  paths: DataPaths;
  config: Pick<VigilConfig, 'dataDir' | 'backup' | 'storage'>;
  master: MasterKey;
  snapshots: DatabaseSnapshots;
  signer: () => ReportSigner;
  audit: Pick<Store, 'appendAudit'>;
  clock: () => number;
}

export interface BackupRun {
  backup: CreatedBackup;
  /** Older backups removed by the retention policy. */
  removed: string[];
  /** The off-site hook's result (null: no `backup.command`). */
  hook: HookResult | null;
}

/**
 * One backup as the schedule and `vigil backup create` run it: the backup itself, then (only in
 * the configured directory) retention, then the `backup.command` hook. Every outcome is recorded in
 * the backup state (system page, /metrics, alarms) and the audit log. A hook failure does not fail
 * the backup: it is recorded, and the continuity monitor raises the alarm.
 */
export async function runBackup(
  d: BackupRunDeps,
  o: { outDir?: string | undefined; actor: string },
): Promise<BackupRun> {
  // Refused before anything is written or recorded: not a failed backup, a wrong tool.
  const unsupported = backupUnsupported(d.config);
  if (unsupported) throw new VigilError('VIGIL_ERR_CONFIG', unsupported);
  const dir = backupDir(d.config);
  const outDir = o.outDir ?? dir;
  let backup: CreatedBackup;
  try {
    backup = await createBackup({
      paths: d.paths,
      recipients: d.config.backup.recipients,
      outDir,
      master: d.master,
      snapshots: d.snapshots,
      signer: d.signer(),
      clock: d.clock,
    });
  } catch (err) {
    const error = (err as Error).message.slice(0, 300);
    updateBackupState(d.paths.backupState, { lastFailure: { at: new Date(d.clock()).toISOString(), error } });
    await d.audit
      .appendAudit({
        ts: d.clock(),
        actor: o.actor,
        action: 'backup.failed',
        object: null,
        detail: { error },
      })
      .catch(() => {});
    throw err;
  }
  updateBackupState(d.paths.backupState, {
    lastBackup: {
      at: backup.manifest.createdAt,
      file: backup.file,
      bytes: backup.bytes,
      durationMs: Math.round(backup.durationMs),
    },
    lastFailure: null,
  });
  await d.audit.appendAudit({
    ts: d.clock(),
    actor: o.actor,
    action: 'backup.create',
    object: backup.file,
    detail: {
      bytes: backup.bytes,
      duration_ms: Math.round(backup.durationMs),
      readings: backup.manifest.rowCounts.readings ?? 0,
      audit_head: backup.manifest.auditHead?.id ?? null,
    },
  });
  const removed: string[] = [];
  if (outDir === dir) {
    const all = listBackups(dir);
    const keep = backupsToKeep(
      all.map((b) => b.createdAt),
      d.config.backup.keep,
    );
    for (const b of all) {
      if (keep.has(b.createdAt)) continue;
      rmSync(b.path, { force: true });
      removed.push(b.name);
    }
  }
  let hook: HookResult | null = null;
  if (d.config.backup.command) {
    hook = await runBackupHook(d.config.backup.command, backup.file, d.config.backup.commandTimeoutMs);
    updateBackupState(d.paths.backupState, {
      lastHook: {
        at: new Date(d.clock()).toISOString(),
        file: backup.file,
        ok: hook.ok,
        exitCode: hook.exitCode,
        durationMs: hook.durationMs,
        ...(hook.error ? { error: hook.error } : {}),
      },
    });
    await d.audit.appendAudit({
      ts: d.clock(),
      actor: o.actor,
      action: hook.ok ? 'backup.hook' : 'backup.hook_failed',
      object: backup.file,
      detail: { exit_code: hook.exitCode, duration_ms: hook.durationMs },
    });
  }
  return { backup, removed, hook };
}
