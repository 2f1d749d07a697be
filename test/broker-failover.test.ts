/**
 * Broker failover, device side (docs/protocol.md §8): two Vigil nodes, the secondary restored from
 * the primary's backup (same CA, server certificate and devices; each writes its own data
 * directory). Simulated devices with the broker list [primary, secondary] publish to the primary;
 * the primary is killed with SIGKILL; each device detects the loss and is connected to the
 * secondary within 5 s of detecting it (measured per device); when the primary is back, every
 * device returns to it after the stable period.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openContext, type VigilContext } from '../src/data-dir/context.ts';
import { addDevice } from '../src/devices/device-service.ts';
import { type SimFleet, startSimFleet } from '../src/sim/runner.ts';
import { freePort } from './helpers/free-port.ts';
import { type Instance, MASTER_KEY_HEX, startInstance, waitFor } from './helpers/instance.ts';
import { runVigil } from './helpers/run-vigil.ts';

const BIN = fileURLToPath(new URL('../bin/vigil', import.meta.url));
const KEY_B = 'c'.repeat(64);
const DEVICES = 6;

let work: string;
let dirA: string;
let portA: number;
let primary: ChildProcess | undefined;
let secondary: Instance | undefined;
let ctxA: VigilContext | undefined;
let fleet: SimFleet | undefined;

/** `vigil start` on the primary's data directory in a child process; resolves once it listens. */
function startPrimary(): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    VIGIL_MASTER_KEY: MASTER_KEY_HEX,
    VIGIL_LOG_LEVEL: 'warn',
  };
  delete env.VIGIL_DATA_DIR;
  const child = spawn(
    process.execPath,
    [BIN, 'start', '--data-dir', dirA, '--mqtt-port', String(portA), '--http-port', '0', '--ota-port', '0'],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`primary did not start: ${out}`)), 60_000);
    child.stdout?.on('data', (d) => {
      out += d;
      if (out.includes('press Ctrl-C')) {
        clearTimeout(t);
        resolve(child);
      }
    });
    child.stderr?.on('data', (d) => {
      out += d;
    });
    child.once('exit', (code) => reject(new Error(`primary exited ${code}: ${out}`)));
  });
}

function kill9(c: ChildProcess | undefined): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    c.once('exit', () => r());
    c.kill('SIGKILL');
  });
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'vigil-failover-'));
  dirA = join(work, 'primary');
  portA = await freePort();
  ctxA = await openContext({
    dataDir: dirA,
    env: { VIGIL_MASTER_KEY: MASTER_KEY_HEX },
    logLevel: 'silent',
    create: true,
    createAdmin: false,
    overrides: { mqtt: { host: '127.0.0.1', port: portA } },
  });
  for (let i = 1; i <= DEVICES; i++) {
    const id = `sim-probe-${String(i).padStart(3, '0')}`;
    await addDevice(ctxA, {
      id,
      profile: 'temperature-probe',
      outDir: join(ctxA.paths.simDir, id),
      actor: 'test',
    });
  }
  // The secondary: the primary's backup restored onto its own master key and data directory.
  const identity = join(work, 'id.txt');
  assert.equal((await runVigil(['backup', 'init', '--identity-out', identity], { dataDir: dirA })).code, 0);
  const created = await runVigil(['backup', 'create', '--json'], { dataDir: dirA });
  assert.equal(created.code, 0, created.stderr);
  const restored = await runVigil(
    ['backup', 'restore', JSON.parse(created.stdout).file, '--identity', identity],
    {
      dataDir: join(work, 'secondary'),
      env: { VIGIL_MASTER_KEY: KEY_B },
    },
  );
  assert.equal(restored.code, 0, restored.stderr);
  primary = await startPrimary();
  secondary = await startInstance(
    {},
    join(work, 'secondary'),
    { webRoot: '/nonexistent-vigil-web', alarmService: { anomaly: false } },
    KEY_B,
  );
});

after(async () => {
  await fleet?.stop();
  await kill9(primary);
  await secondary?.destroy();
  await ctxA?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('broker failover', () => {
  it('moves every device to the secondary within 5 s of detecting the primary is gone, and back when it returns', async () => {
    const urlA = `mqtts://127.0.0.1:${portA}`;
    const urlB = (secondary as Instance).url;
    const moved = new Map<string, number>();
    fleet = await startSimFleet(ctxA as VigilContext, {
      profile: 'temperature-probe',
      devices: DEVICES,
      rate: 2,
      brokers: [urlA, urlB],
      seed: 'failover',
      reconnect: { baseMs: 500, capMs: 2000, stableMs: 4000 },
      onConnect: (id, broker, downMs) => {
        if (broker === urlB && downMs !== null) moved.set(id, downMs);
      },
    });
    const f = fleet;
    await waitFor(
      'all on the primary',
      () => f.devices.every((d) => d.stats.connected && d.stats.broker === urlA),
      20_000,
    );

    const killedAt = Date.now();
    await kill9(primary);
    await waitFor(
      'all on the secondary',
      () => f.devices.every((d) => d.stats.connected && d.stats.broker === urlB),
      20_000,
    );
    const sinceKill = Date.now() - killedAt;
    const times = [...moved.values()];
    assert.equal(times.length, DEVICES, 'every device measured its move');
    const worst = Math.max(...times);
    assert.ok(worst < 5000, `failover took ${worst} ms after detection`);
    // Data flows through the secondary.
    const before0 = await (secondary as Instance).ctx.store.countReadings();
    await waitFor(
      'readings on the secondary',
      async () => (await (secondary as Instance).ctx.store.countReadings()) >= before0 + DEVICES * 2,
      15_000,
    );
    process.stdout.write(
      `# failover after detection: max ${worst} ms, median ${times.sort((a, b) => a - b)[Math.floor(times.length / 2)]} ms; all moved ${sinceKill} ms after SIGKILL\n`,
    );

    primary = await startPrimary();
    await waitFor(
      'all back on the primary',
      () => f.devices.every((d) => d.stats.connected && d.stats.broker === urlA),
      30_000,
    );
  });
});
