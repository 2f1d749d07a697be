/**
 * One step of the start-up benchmark (bench/startup-rss.ts), in a process of its own so that its
 * RSS is Vigil's alone. Usage (the master key comes from VIGIL_MASTER_KEY):
 *   node bench/startup-child.ts seed DATA_DIR DEVICES READINGS_PER_DEVICE
 *   node --expose-gc bench/startup-child.ts start DATA_DIR
 * `seed` creates the data directory with DEVICES enabled devices and, per device, that many
 * one-minute readings ending now (written straight into the store, not timed); `start` runs
 * `startServer` (alarm service start included: stored alarms restored, recent readings re-judged)
 * and prints one JSON line: RSS and heap after start and a full GC, and the time start took.
 */
import { openContext } from '../src/data-dir/context.ts';
import { startServer } from '../src/server/start-server.ts';
import type { ReadingRecord } from '../src/storage/store.ts';
import { provisionFleet } from './fleet.ts';

const [mode, dataDir, devicesArg, perDeviceArg] = process.argv.slice(2);
if ((mode !== 'seed' && mode !== 'start') || !dataDir) {
  console.error('usage: startup-child.ts seed|start DATA_DIR [DEVICES READINGS_PER_DEVICE]');
  process.exit(2);
}
const overrides = {
  mqtt: { host: '127.0.0.1', port: 0 },
  http: { host: '127.0.0.1', port: 0 },
  ota: { port: 0 },
};
const MIN = 60_000;

if (mode === 'seed') {
  const devices = Number(devicesArg);
  const perDevice = Number(perDeviceArg);
  const ctx = await openContext({
    dataDir,
    create: true,
    logLevel: 'silent',
    overrides: { ...overrides, storage: { synchronous: 'NORMAL' } },
  });
  try {
    const ids = Array.from({ length: devices }, (_, i) => `rss-${String(i).padStart(5, '0')}`);
    await provisionFleet(ctx, ids, { certs: false });
    const now = ctx.clock();
    // 5,000-row commits, devices interleaved as a fleet delivers them.
    const rows: ReadingRecord[] = [];
    for (let k = 0; k < perDevice; k++) {
      for (const id of ids) {
        const ts = now - (perDevice - k) * MIN;
        rows.push({
          deviceId: id,
          seq: k + 1,
          idx: 0,
          ts,
          receivedAt: ts,
          backfill: false,
          data: { temp_c: 4.6, rh_pct: 51.2, lat: 52.37, lon: 4.89, bat_pct: 88, power: 'mains' },
        });
        if (rows.length === 5000)
          await ctx.store.writeBatch({
            readings: rows.splice(0),
            messages: [],
            replayStates: [],
            lastSeen: [],
          });
      }
    }
    if (rows.length > 0)
      await ctx.store.writeBatch({ readings: rows, messages: [], replayStates: [], lastSeen: [] });
  } finally {
    await ctx.close();
  }
} else {
  const t0 = performance.now();
  const ctx = await openContext({ dataDir, logLevel: 'silent', overrides });
  const server = await startServer(ctx);
  const startMs = performance.now() - t0;
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  console.log(JSON.stringify({ rssMiB: m.rss / 2 ** 20, heapUsedMiB: m.heapUsed / 2 ** 20, startMs }));
  await server.stop();
  await ctx.close();
}
