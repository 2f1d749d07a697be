/**
 * One step of the start-up benchmark (bench/startup-rss.ts), in a process of its own so that its
 * RSS is Vigil's alone. Usage (the master key comes from VIGIL_MASTER_KEY):
 *   node bench/startup-child.ts seed DATA_DIR DEVICES READINGS_PER_DEVICE
 *   node --expose-gc bench/startup-child.ts start DATA_DIR
 * `seed` creates the data directory with DEVICES enabled devices and, per device, that many
 * one-minute readings ending now (written straight into the store, not timed); `start` runs
 * `startServer` (alarm service start included: stored alarms restored, recent readings re-judged)
 * and prints one JSON line: RSS and heap after start and a full GC, the same after a memory-reducing
 * GC, and the time start took.
 */
import { openContext } from '../src/data-dir/context.ts';
import { provisionFleet } from './fleet.ts';
import { seedHistory } from './history-seed.ts';
import { startMeasured } from './start-memory.ts';

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
    await seedHistory(ctx, ids, perDevice, MIN);
  } finally {
    await ctx.close();
  }
} else {
  const { ctx, server, startMs, memory } = await startMeasured(dataDir, overrides);
  console.log(JSON.stringify({ ...memory, startMs }));
  await server.stop();
  await ctx.close();
}
