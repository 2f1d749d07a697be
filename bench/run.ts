/**
 * Vigil benchmark suite: `npm run bench` (node bench/run.ts). See bench/README.md.
 * Options: --quick (shorter runs), --only=ID,ID (workloads by id; `--help` lists them), and the
 * workloads' own options (--nodelay, --latency-rate=N, ...). Each workload is a file of
 * bench/entries; this file runs them in order, prints the summary and saves the JSON.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createBenchContext } from './bench-context.ts';
import { nowMs } from './clock.ts';
import { errorRow } from './entry.ts';
import { machineInfo } from './machine.ts';
import { loadEntries } from './registry.ts';
import { renderSummary, type SummaryRow, saveResults } from './report.ts';
import { removeAllTempDirs } from './temp-dirs.ts';

const { values: args } = parseArgs({
  strict: false,
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
const entries = await loadEntries();
if (args.help) {
  console.log('usage: node bench/run.ts [--quick] [--only=ID,...] [workload options]\nworkloads:');
  for (const e of entries)
    console.log(`  ${e.id.padEnd(10)} ${e.inDefault ? '' : '(not in the default set) '}${e.title}`);
  process.exit(0);
}
const quick = args.quick === true;
const only =
  typeof args.only === 'string'
    ? new Set(args.only.split(',').map((s) => s.trim().toLowerCase()))
    : undefined;
const unknown = [...(only ?? [])].filter((id) => !entries.some((e) => e.id === id));
if (unknown.length > 0) {
  console.error(
    `bench: unknown workload(s) ${unknown.join(', ')}; known: ${entries.map((e) => e.id).join(', ')}`,
  );
  process.exit(2);
}
const selected = entries.filter((e) => (only ? only.has(e.id) : e.inDefault));

const log = (s: string) => console.log(s);
const errors: Record<string, string> = {};
const results = new Map<string, unknown>();
const loadAverages: Record<string, { before: number[]; after: number[] }> = {};

// Every loop is bounded; this is the backstop against a hang (a stuck socket, say).
const limitMs = (quick ? 150_000 : 300_000) + selected.reduce((t, e) => t + (e.extraTimeMs?.(quick) ?? 0), 0);
const watchdog = setTimeout(() => {
  console.error(`bench: global time limit (${limitMs / 1000} s) exceeded; aborting`);
  removeAllTempDirs();
  process.exit(1);
}, limitMs);
watchdog.unref();

const loadAvg = () => os.loadavg().map((v) => Math.round(v * 100) / 100);

async function main(): Promise<void> {
  const startedAt = new Date();
  const t0 = nowMs();
  const machine = machineInfo();
  log(`Vigil benchmark suite ${quick ? '(quick) ' : ''}- ${startedAt.toISOString()}`);
  log(
    `Machine: ${machine.cpuModel} x${machine.cpuCount}, ${machine.totalMemoryGiB} GiB, node ${machine.node}, ` +
      `OpenSSL ${machine.openssl}, ${machine.platform}/${machine.arch} ${machine.osRelease}, ` +
      `SQLite ${machine.sqlite} (${machine.sqlite3mc}), tmp ${machine.tmpdir}`,
  );
  log(`Load average (1/5/15 min) at start: ${loadAvg().join(' / ')}`);
  const ctx = createBenchContext({ quick, args, log, results });
  const lastVigilUser = selected.findLast((e) => e.usesVigil);
  try {
    for (const e of selected) {
      log(`\n[${e.id}] ${e.title}`);
      const before = loadAvg();
      try {
        results.set(e.id, await e.run(ctx));
      } catch (err) {
        errors[e.id] = err instanceof Error ? (err.stack ?? err.message) : String(err);
        console.error(`bench: ${e.id} failed: ${errors[e.id]}`);
      }
      loadAverages[e.id] = { before, after: loadAvg() };
      if (e === lastVigilUser) await ctx.stopVigil();
    }
  } finally {
    await ctx.stopVigil();
  }

  const rows: SummaryRow[] = [];
  for (const e of selected) {
    const r = results.get(e.id);
    const own = e.summary(r, ctx);
    rows.push(...(r === undefined ? own.map((row) => ({ ...row, status: 'ERROR' as const })) : own));
    if (own.length === 0 && r === undefined) rows.push(errorRow(e.id, e.title, '-'));
  }
  log('\n=== Summary ===');
  log(renderSummary(rows));
  const missed = rows.filter((r) => r.status === 'MISSED');
  if (missed.length > 0) log(`\nMISSED: ${missed.map((r) => r.workload).join('; ')}`);
  for (const e of selected) {
    const r = results.get(e.id);
    if (r !== undefined && e.details) log(`\n${e.details(r, ctx)}`);
  }
  log(`\nLoad average (1/5/15 min) at the end: ${loadAvg().join(' / ')}`);

  const durationMs = nowMs() - t0;
  const doc = {
    suite: 'vigil-bench',
    version: 2,
    startedAt: startedAt.toISOString(),
    durationMs,
    quick,
    machine,
    loadAverages,
    options: args,
    summary: rows,
    workloads: Object.fromEntries(results),
    errors,
  };
  const paths = saveResults(doc, startedAt);
  log(`\nResults: ${paths.latest} (and ${paths.stamped}); total ${(durationMs / 1000).toFixed(1)} s`);
  if (Object.keys(errors).length > 0) {
    log(`ERRORS in: ${Object.keys(errors).join(', ')} (see above)`);
    process.exitCode = 1;
  }
}

main()
  .catch((err: unknown) => {
    console.error('bench: fatal', err);
    process.exitCode = 1;
  })
  .finally(() => {
    removeAllTempDirs();
    clearTimeout(watchdog);
    // Anything still open (a socket in TIME_WAIT teardown) must not keep the run alive.
    setTimeout(() => process.exit(), 200).unref();
  });
