/**
 * A Vigil data directory with provisioned devices in front of one or more real Mosquitto 2.x
 * brokers, each configured by `vigil mosquitto-config` (its own loopback port and store), and
 * `vigil start` child processes on it. Shared by the scale tests and `npm run bench -- --only=scale`.
 * Everything lives in one temporary directory, removed by `stop`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openContext, type VigilContext } from '../../src/data-dir/context.ts';
import { addDevice } from '../../src/devices/device-service.ts';
import type { DeviceProfile } from '../../src/protocol/device-profile.ts';
import { type DeviceBundleFiles, readDeviceBundle } from '../../src/sim/device-bundle.ts';
import { MASTER_KEY_HEX } from './instance.ts';
import {
  freeLoopbackPort,
  type MosquittoProcess,
  mosquittoProcess,
  writeMosquittoConfig,
} from './mosquitto-process.ts';
import { startVigilChild, type VigilChild } from './vigil-child.ts';

export interface FleetBroker {
  url: string;
  port: number;
  proc: MosquittoProcess;
}

export interface MosquittoFleet {
  dir: string;
  dataDir: string;
  bundles: DeviceBundleFiles[];
  /** In the order of `mqtt.external.url` then `mqtt.external.urls`; none: the embedded broker. */
  brokers: FleetBroker[];
  /** Where devices publish: the first broker, or Vigil's embedded broker. */
  deviceUrl: string;
  /** `vigil start --data-dir … ARGS`, resolved once it printed `vigil started`. */
  startVigil(args: string[], env?: NodeJS.ProcessEnv): Promise<VigilChild>;
  /** A context on the data directory (opened once, closed by `stop`). */
  context(): Promise<VigilContext>;
  stop(): Promise<void>;
}

export interface FleetOptions {
  /** Merged into config.json; the fleet adds `mqtt.external` (or, with no brokers, `mqtt.host`/`port`). */
  config?: Record<string, unknown>;
  /** Merged into `mqtt.external` (fleetRatePerSec, maxOutageMinutes, ingestWorkers, …). */
  external?: Record<string, unknown>;
  devices: number;
  /** Mosquitto brokers; 0: devices publish to Vigil's embedded broker. */
  brokers: number;
  profile?: DeviceProfile;
  idPrefix?: string;
}

export async function mosquittoFleet(o: FleetOptions): Promise<MosquittoFleet> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-fleet-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  const env = { ...process.env, VIGIL_MASTER_KEY: MASTER_KEY_HEX };
  const children: VigilChild[] = [];
  const brokers: FleetBroker[] = [];
  let ctx: VigilContext | undefined;
  const stop = async () => {
    await Promise.all(children.map((c) => c.stop().catch(() => null)));
    await Promise.all(brokers.map((b) => b.proc.stop().catch(() => null)));
    await ctx?.close().catch(() => null);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < o.brokers; i++) ports.push(await freeLoopbackPort());
    const urls = ports.map((p) => `mqtts://localhost:${p}`);
    const mqtt = (o.config?.mqtt ?? {}) as Record<string, unknown>;
    const embeddedPort = o.brokers === 0 ? await freeLoopbackPort() : 0;
    const config = {
      ...o.config,
      mqtt:
        o.brokers === 0
          ? { ...mqtt, host: '127.0.0.1', port: embeddedPort }
          : { ...mqtt, external: { url: urls[0], urls: urls.slice(1), ...o.external } },
    };
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify(config));
    const c = await openContext({ dataDir, env, create: true, logLevel: 'silent' });
    const bundles: DeviceBundleFiles[] = [];
    try {
      for (let i = 0; i < o.devices; i++) {
        const id = `${o.idPrefix ?? 'fleet'}-${String(i).padStart(4, '0')}`;
        const b = await addDevice(c, {
          id,
          profile: o.profile ?? 'temperature-probe',
          outDir: join(dir, 'bundles', id),
          actor: 'test',
        });
        bundles.push(readDeviceBundle(b.dir));
      }
    } finally {
      await c.close();
    }
    for (const [i, port] of ports.entries()) {
      const mq = join(dir, `mq${i}`);
      await writeMosquittoConfig(dataDir, mq, port);
      const proc = mosquittoProcess(mq);
      brokers.push({ url: `mqtts://127.0.0.1:${port}`, port, proc });
      await proc.start();
    }
    return {
      dir,
      dataDir,
      bundles,
      brokers,
      deviceUrl: brokers[0]?.url ?? `mqtts://127.0.0.1:${embeddedPort}`,
      async startVigil(args, extraEnv = {}) {
        const child = startVigilChild(['--data-dir', dataDir, ...args], extraEnv);
        children.push(child);
        await child.started();
        return child;
      },
      async context() {
        ctx ??= await openContext({ dataDir, env, logLevel: 'silent', createAdmin: false });
        return ctx;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
