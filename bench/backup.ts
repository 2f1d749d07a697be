/**
 * Backup benchmark (`npm run bench -- --only=backup [--readings=N]`): fills a data directory with
 * N readings (default 5,000,000), then measures the ingest commit latency (p50/p99 of small group
 * commits, 20 readings every 10 ms, as a busy fleet gives) without a backup (the baseline) and
 * while a backup runs in the same process, the backup's time and size, and the restore time (RTO:
 * decrypt, verify, re-key, re-seal, open).
 */
import { join } from 'node:path';
import { generateBackupIdentity } from '../src/backup/age-identity.ts';
import { runBackup } from '../src/backup/backup-run.ts';
import { restoreBackup } from '../src/backup/restore-backup.ts';
import { openContext, type VigilContext } from '../src/data-dir/context.ts';
import { databaseSnapshots } from '../src/data-dir/snapshots.ts';
import { addDevice } from '../src/devices/device-service.ts';
import { loadOrCreateReportSigner } from '../src/reports/signing.ts';
import type { ReadingRecord } from '../src/storage/store.ts';
import { nowMs } from './clock.ts';
import { makeTempDir, removeTempDir } from './temp-dirs.ts';

export interface BackupBenchResult {
  readings: number;
  fillMs: number;
  dbBytes: number;
  backupMs: number;
  backupBytes: number;
  baselineP50Ms: number;
  baselineP99Ms: number;
  duringP50Ms: number;
  duringP99Ms: number;
  commitsDuring: number;
  restoreMs: number;
}

const DEVICES = 50;
const KEY = 'd'.repeat(64);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

function sample(deviceId: string, seq: number, ts: number): ReadingRecord {
  return {
    deviceId,
    seq,
    idx: 0,
    ts,
    receivedAt: ts + 50,
    backfill: false,
    data: { temp_c: 4 + (seq % 30) / 10, rh_pct: 50, bat_pct: 90, power: 'mains' },
  };
}

/** Small commits every 10 ms until `until` resolves; returns each commit's duration. */
async function ingestLoop(ctx: VigilContext, seqs: number[], until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const times: number[] = [];
  while (!done) {
    const readings: ReadingRecord[] = [];
    const now = Date.now();
    for (let k = 0; k < 20; k++) {
      const d = k % DEVICES;
      seqs[d] = (seqs[d] ?? 0) + 1;
      readings.push(sample(`bench-${String(d).padStart(3, '0')}`, seqs[d] as number, now));
    }
    const t0 = nowMs();
    await ctx.store.writeBatch({ readings, messages: [], replayStates: [], lastSeen: [] });
    times.push(nowMs() - t0);
    await new Promise((r) => setTimeout(r, 10));
  }
  return times;
}

export async function runBackupBench(o: {
  readings: number;
  log: (l: string) => void;
}): Promise<BackupBenchResult> {
  const dir = makeTempDir('vigil-bench-backup-');
  const env = { VIGIL_MASTER_KEY: KEY };
  const ctx = await openContext({
    dataDir: join(dir, 'node'),
    env,
    logLevel: 'silent',
    create: true,
    createAdmin: false,
  });
  try {
    for (let d = 0; d < DEVICES; d++) {
      await addDevice(ctx, {
        id: `bench-${String(d).padStart(3, '0')}`,
        profile: 'temperature-probe',
        outDir: join(dir, 'bundles', String(d)),
        actor: 'bench',
      });
    }
    const seqs = new Array<number>(DEVICES).fill(0);
    const t0 = nowMs();
    const start = Date.now() - o.readings * 1000;
    for (let n = 0; n < o.readings; ) {
      const readings: ReadingRecord[] = [];
      for (let k = 0; k < 5000 && n < o.readings; k++, n++) {
        const d = n % DEVICES;
        seqs[d] = (seqs[d] ?? 0) + 1;
        readings.push(sample(`bench-${String(d).padStart(3, '0')}`, seqs[d] as number, start + n * 1000));
      }
      await ctx.store.writeBatch({ readings, messages: [], replayStates: [], lastSeen: [] });
      if (n % 500_000 === 0) o.log(`  filled ${n} readings`);
    }
    const fillMs = nowMs() - t0;
    const { statSync } = await import('node:fs');
    const dbBytes = statSync(ctx.paths.db).size;
    const baseline = await ingestLoop(ctx, seqs, new Promise((r) => setTimeout(r, 10_000)));
    const { recipient, identity } = await generateBackupIdentity();
    const deps = {
      paths: ctx.paths,
      config: { ...ctx.config, backup: { ...ctx.config.backup, recipients: [recipient] } },
      master: ctx.master,
      snapshots: databaseSnapshots(ctx),
      signer: () => loadOrCreateReportSigner(ctx.paths.pkiDir, ctx.master),
      audit: ctx.store,
      clock: ctx.clock,
    };
    const backup = runBackup(deps, { actor: 'bench' });
    const during = await ingestLoop(ctx, seqs, backup);
    const r = await backup;
    const t1 = nowMs();
    await restoreBackup({
      file: r.backup.file,
      identities: [identity],
      target: join(dir, 'restored'),
      snapshots: databaseSnapshots(),
      env: {},
    });
    const restored = await openContext({
      dataDir: join(dir, 'restored'),
      env: {},
      logLevel: 'silent',
      createAdmin: false,
    });
    await restored.close();
    const restoreMs = nowMs() - t1;
    return {
      readings: o.readings,
      fillMs,
      dbBytes,
      backupMs: r.backup.durationMs,
      backupBytes: r.backup.bytes,
      baselineP50Ms: pct(baseline, 50),
      baselineP99Ms: pct(baseline, 99),
      duringP50Ms: pct(during, 50),
      duringP99Ms: pct(during, 99),
      commitsDuring: during.length,
      restoreMs,
    };
  } finally {
    await ctx.close();
    removeTempDir(dir);
  }
}
