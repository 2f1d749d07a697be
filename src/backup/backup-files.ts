/**
 * Backup files on disk: `vigil-backup-<UTC timestamp>.age` (ISO 8601 basic format, milliseconds),
 * written as `.<name>.<pid>.partial` and renamed once complete and flushed, so an interrupted
 * backup (kill -9, power loss) never looks like a backup. Partial files of dead processes are
 * removed by the next backup run or server start.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { VigilError } from '../errors.ts';

const NAME_RE = /^vigil-backup-(\d{8}T\d{6}\.\d{3}Z)\.age$/;
const PARTIAL_RE = /^\.vigil-backup-.+\.(\d+)\.partial$/;
const STAGING_RE = /^\.staging-(\d+)-/;

export interface BackupFile {
  name: string;
  path: string;
  /** From the file name (UTC). */
  createdAt: number;
  bytes: number;
}

/** `vigil-backup-20261206T193409.123Z.age` for the given time. */
export function backupFileName(at: number): string {
  const iso = new Date(at).toISOString(); // 2026-12-06T19:34:09.123Z
  return `vigil-backup-${iso.replaceAll('-', '').replaceAll(':', '')}.age`;
}

/** The time in a backup file name, or null for any other name. */
export function parseBackupFileName(name: string): number | null {
  const m = NAME_RE.exec(name);
  if (!m?.[1]) return null;
  const s = m[1];
  const iso = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13)}`;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

/** The backup directory: `backup.dir`, else `<data-dir>/backups`. */
export function backupDir(config: { dataDir: string; backup: { dir?: string | undefined } }): string {
  return resolve(config.dataDir, config.backup.dir ?? 'backups');
}

export function ensureBackupDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new VigilError('VIGIL_ERR_DATA_DIR', `backup directory ${dir}: ${(err as Error).message}`);
  }
}

/** Complete backups in `dir`, newest first (missing directory: none). */
export function listBackups(dir: string): BackupFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: BackupFile[] = [];
  for (const name of names) {
    const createdAt = parseBackupFileName(name);
    if (createdAt === null) continue;
    const path = join(dir, name);
    try {
      out.push({ name, path, createdAt, bytes: statSync(path).size });
    } catch {
      // removed meanwhile (retention in another process)
    }
  }
  return out.sort((a, b) => b.createdAt - a.createdAt);
}

export function partialPath(dir: string, finalName: string): string {
  return join(dir, `.${finalName}.${process.pid}.partial`);
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes partial files and staging directories left by processes that no longer run. */
export function removeStaleParts(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = PARTIAL_RE.exec(name) ?? STAGING_RE.exec(name);
    if (!m?.[1] || alive(Number(m[1]))) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** Flushes a finished file and renames it into place, flushing the directory entry too. */
export function commitFile(partial: string, final: string, dir: string): void {
  const fd = openSync(partial, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, final);
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}
