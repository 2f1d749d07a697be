import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '../errors.ts';
import type { DatabaseSnapshots } from '../storage/database-snapshots.ts';
import { backupDir, ensureBackupDir, listBackups, removeStaleParts } from './backup-files.ts';
import { updateBackupState } from './backup-state.ts';
import { restoreBackup } from './restore-backup.ts';

export interface DrillResult {
  file: string;
  createdAt: string;
  /** Age of the newest backup when the drill ran: the data a loss now would cost. */
  rpoMs: number;
  /** Measured time from the backup file to a verified, openable data directory. */
  rtoMs: number;
  readings: number;
  auditEntries: number;
}

export interface DrillDeps {
  config: { dataDir: string; backup: { dir?: string | undefined } };
  statePath: string;
  identities: readonly string[];
  trustedPem: string | undefined;
  snapshots: DatabaseSnapshots;
  clock: () => number;
  /**
   * Opens the restored data directory the way `vigil start` would and checks it (audit chain,
   * readings); returns the counts. Injected: the data directory layer sits above this module.
   */
  openRestored: (dataDir: string) => Promise<{ readings: number; auditOk: boolean; auditEntries: number }>;
}

/**
 * A restore drill: restores the newest backup into a temporary 0700 directory exactly as
 * `vigil backup restore` would (new master key, re-encryption), opens the result and checks it,
 * and measures RPO (age of the newest backup) and RTO (restore time). The directory is removed
 * afterwards; the result is recorded for the system page.
 */
export async function runDrill(d: DrillDeps): Promise<DrillResult> {
  const dir = backupDir(d.config);
  const at = () => new Date(d.clock()).toISOString();
  const newest = listBackups(dir)[0];
  if (!newest) {
    updateBackupState(d.statePath, {
      lastDrill: { at: at(), file: null, ok: false, rpoMs: null, rtoMs: null, error: 'no backup to drill' },
    });
    throw new VigilError('VIGIL_ERR_BACKUP_NOT_CONFIGURED', `no backup in ${dir}`);
  }
  ensureBackupDir(dir);
  removeStaleParts(dir);
  // In the backup directory (the same volume as the backups, sized for them), named so that a
  // drill killed half-way is cleaned up by the next run.
  const work = mkdtempSync(join(dir, `.staging-${process.pid}-`));
  const t0 = performance.now();
  try {
    const restored = await restoreBackup({
      file: newest.path,
      identities: d.identities,
      target: join(work, 'node'),
      trustedPem: d.trustedPem,
      snapshots: d.snapshots,
      env: {},
    });
    const opened = await d.openRestored(restored.target);
    const rtoMs = Math.round(performance.now() - t0);
    if (!opened.auditOk)
      throw new VigilError('VIGIL_ERR_BACKUP_INVALID', 'restored audit chain does not verify');
    const want = restored.manifest.rowCounts.readings ?? 0;
    if (opened.readings !== want) {
      throw new VigilError(
        'VIGIL_ERR_BACKUP_INVALID',
        `restored ${opened.readings} readings, manifest says ${want}`,
      );
    }
    const result: DrillResult = {
      file: newest.path,
      createdAt: restored.manifest.createdAt,
      rpoMs: Math.max(0, d.clock() - Date.parse(restored.manifest.createdAt)),
      rtoMs,
      readings: opened.readings,
      auditEntries: opened.auditEntries,
    };
    updateBackupState(d.statePath, {
      lastDrill: { at: at(), file: newest.path, ok: true, rpoMs: result.rpoMs, rtoMs: result.rtoMs },
    });
    return result;
  } catch (err) {
    updateBackupState(d.statePath, {
      lastDrill: {
        at: at(),
        file: newest.path,
        ok: false,
        rpoMs: Math.max(0, d.clock() - newest.createdAt),
        rtoMs: null,
        error: (err as Error).message.slice(0, 300),
      },
    });
    throw err;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
