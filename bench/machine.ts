import os from 'node:os';
import Database from 'better-sqlite3-multiple-ciphers';

/** What the numbers were measured on (saved with every result file). */
export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  totalMemoryBytes: number;
  totalMemoryGiB: number;
  node: string;
  openssl: string;
  platform: string;
  arch: string;
  osRelease: string;
  tmpdir: string;
  sqlite: string;
  sqlite3mc: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  let sqlite = 'unknown';
  let sqlite3mc = 'unknown';
  try {
    const db = new Database(':memory:');
    sqlite = String(db.prepare('SELECT sqlite_version()').pluck().get());
    sqlite3mc = String(db.prepare('SELECT sqlite3mc_version()').pluck().get());
    db.close();
  } catch {
    /* informational only */
  }
  return {
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryBytes: os.totalmem(),
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    openssl: process.versions.openssl ?? 'unknown',
    platform: process.platform,
    arch: process.arch,
    osRelease: os.release(),
    tmpdir: os.tmpdir(),
    sqlite,
    sqlite3mc,
  };
}
