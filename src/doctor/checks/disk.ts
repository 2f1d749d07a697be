import { statfsSync } from 'node:fs';
import { storageFiles } from '../../api/system-status.ts';
import { type DoctorCheck, ok } from '../finding.ts';

const DAY = 86_400_000;

/**
 * Free space on the data volume against the database's growth: bytes per day averaged since the
 * installation was created (its first audit entry), days until full at that rate. Below
 * `storage.minFreeDays` (the same setting as the running server's disk forecast alarm) is high,
 * below twice that medium.
 */
export const diskCheck: DoctorCheck = {
  name: 'disk',
  async run({ config, paths, store, clock }) {
    const now = clock();
    const fs = statfsSync(paths.dataDir);
    const free = fs.bavail * fs.bsize;
    const used = storageFiles(paths.db).reduce((n, f) => n + f.bytes, 0);
    const [first] = await store.queryAudit({ since: 0, limit: 1 });
    const ageDays = Math.max(1, (now - (first?.ts ?? now)) / DAY);
    const perDay = used / ageDays;
    const minDays = config.storage.minFreeDays;
    const freeGb = (free / 1e9).toFixed(1);
    if (perDay <= 0) return [ok('disk', `${freeGb} GB free; no growth measured yet`)];
    const days = free / perDay;
    const what = `${freeGb} GB free, the database grows about ${(perDay / 1e6).toFixed(1)} MB a day: full in ${Math.floor(days)} days`;
    if (days < minDays)
      return [
        {
          check: 'disk',
          severity: 'high',
          message: what,
          fix: `free space or grow the volume of ${paths.dataDir}; at full disk Vigil stops acknowledging readings`,
        },
      ];
    if (days < 2 * minDays)
      return [
        { check: 'disk', severity: 'medium', message: what, fix: `plan more space for ${paths.dataDir}` },
      ];
    return [ok('disk', what)];
  },
};
