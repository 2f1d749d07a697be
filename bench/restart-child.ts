/**
 * The Vigil side of the restart benchmark (bench/restart-probe.ts), a process of its own so its
 * RSS is Vigil's alone and its 10,000 sockets do not share the bench's descriptor limit. Usage
 * (the master key comes from VIGIL_MASTER_KEY):
 *   node bench/restart-child.ts provision DATA_DIR DEVICES CREDENTIALS_FILE
 *   node bench/restart-child.ts history DATA_DIR READINGS_PER_DEVICE STEP_MS
 *   node --expose-gc bench/restart-child.ts serve DATA_DIR
 * `provision` creates the data directory with DEVICES enabled fleet devices and one probe, each
 * with a client certificate, and writes what the load generator needs (certificates, keys,
 * secrets) to CREDENTIALS_FILE (in the bench's private temp directory). `history` writes
 * READINGS_PER_DEVICE readings per device, STEP_MS apart and ending now. `serve` starts Vigil,
 * prints one JSON line (MQTT port, start time, memory after start), serves until a line `stop`
 * arrives on stdin, then prints its RSS and stops.
 */
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { openContext } from '../src/data-dir/context.ts';
import { provisionFleet } from './fleet.ts';
import { seedHistory } from './history-seed.ts';
import { restartFleetIds } from './restart-types.ts';
import { startMeasured } from './start-memory.ts';

const [mode, dataDir, a, b] = process.argv.slice(2);
if (!['provision', 'history', 'serve'].includes(mode ?? '') || !dataDir) {
  console.error('usage: restart-child.ts provision|history|serve DATA_DIR [...]');
  process.exit(2);
}

const overrides = {
  // 10,000 devices and a probe, all from one loopback address
  mqtt: { host: '127.0.0.1', port: 0, maxConnections: 20_000, maxConnectionsPerAddress: 20_000 },
  http: { host: '127.0.0.1', port: 0 },
};
const seeding = { ...overrides, storage: { synchronous: 'NORMAL' as const } };

if (mode === 'provision') {
  const ctx = await openContext({ dataDir, create: true, logLevel: 'silent', overrides: seeding });
  try {
    const fleet = await provisionFleet(ctx, restartFleetIds(Number(a)), { certs: true });
    writeFileSync(b as string, JSON.stringify(fleet), { mode: 0o600 });
  } finally {
    await ctx.close();
  }
} else if (mode === 'history') {
  const ctx = await openContext({ dataDir, logLevel: 'silent', overrides: seeding });
  try {
    const ids = (await ctx.store.listDevices()).map((d) => d.id);
    await seedHistory(ctx, ids, Number(a), Number(b));
  } finally {
    await ctx.close();
  }
} else {
  const { ctx, server, startMs, memory } = await startMeasured(dataDir, overrides);
  console.log(JSON.stringify({ mqttPort: server.mqttPort, startMs, ...memory }));
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line.trim() === 'stop') break;
  lines.close();
  process.stdin.destroy();
  console.log(JSON.stringify({ endRssMiB: process.memoryUsage().rss / 2 ** 20 }));
  await server.stop();
  await ctx.close();
}
