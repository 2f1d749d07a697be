import { type BackupBenchResult, runBackupBench } from '../backup.ts';
import { type BenchEntry, errorRow } from '../entry.ts';
import { fmtMs, fmtRatio } from '../stats.ts';

/** Backup of a 5-million-reading database: time and size, ingest p99 during it, restore time. */
export const entry: BenchEntry<BackupBenchResult> = {
  id: 'backup',
  title: '5M readings: backup time and size, ingest p99 during the backup, restore time',
  order: 90,
  // It fills a 5-million-reading database first: only with --only=backup (--readings=N).
  inDefault: false,
  extraTimeMs: () => 1_200_000,
  run: (ctx) =>
    runBackupBench({
      readings: Number(typeof ctx.args.readings === 'string' ? ctx.args.readings : 5_000_000),
      log: ctx.log,
    }),
  summary: (r) =>
    r
      ? [
          {
            id: 'backup',
            workload: `Backup of ${r.readings} readings: ingest commit p99 during it`,
            baseline: `without backup ${r.baselineP99Ms.toFixed(2)} ms`,
            measured: `${r.duringP99Ms.toFixed(2)} ms`,
            result: fmtRatio(r.duringP99Ms / Math.max(0.001, r.baselineP99Ms)),
            target: '-',
            status: 'info',
          },
        ]
      : [errorRow('backup', 'Backup of a large database', '-')],
  details: (r) =>
    [
      `--- Backup details ---`,
      `database ${(r.dbBytes / 1e6).toFixed(0)} MB for ${r.readings} readings (filled in ${fmtMs(r.fillMs)})`,
      `backup: ${fmtMs(r.backupMs)}, ${(r.backupBytes / 1e6).toFixed(0)} MB`,
      `ingest commit p50/p99 without backup ${r.baselineP50Ms.toFixed(2)} / ${r.baselineP99Ms.toFixed(2)} ms`,
      `ingest commit p50/p99 during backup  ${r.duringP50Ms.toFixed(2)} / ${r.duringP99Ms.toFixed(2)} ms (${r.commitsDuring} commits)`,
      `restore (RTO: decrypt, verify, re-key, re-seal, open): ${fmtMs(r.restoreMs)}`,
    ].join('\n'),
};
