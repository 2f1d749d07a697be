/**
 * `npm run soak`: about 60 s of alternating floods against a real `vigil start` (its own
 * process, so its RSS is measured alone), while ten devices publish throughout. Prints the
 * server's RSS after the warm-up and after each phase; exits 1 when RSS after the soak exceeds
 * 1.5 × RSS after the warm-up. `--snapshots DIR` also writes V8 heap snapshots (SIGUSR2,
 * `--heapsnapshot-signal`) after the warm-up and at the end, to compare in Chrome DevTools.
 * `SOAK_NODE_FLAGS` passes flags to the server's node (e.g. `--max-semi-space-size=2`).
 * `--phase S` sets the length of each phase in seconds (default 6).
 * Bounded: every phase has a fixed length and every flood loop ends with it. Loopback only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import tls from 'node:tls';
import { parseArgs } from 'node:util';
import type { MqttClient } from 'mqtt';
import { openContext } from '../../src/data-dir/context.ts';
import { addDevice } from '../../src/devices/device-service.ts';
import { serializeEnvelope } from '../../src/protocol/envelope.ts';
import { type DeviceBundleFiles, readDeviceBundle } from '../../src/sim/device-bundle.ts';
import { apiRequest } from '../helpers/api-client.ts';
import {
  closeClient,
  connectDevice,
  MASTER_KEY_HEX,
  makeEnvelope,
  topic,
  truckSample,
} from '../helpers/instance.ts';

const { values } = parseArgs({
  options: { snapshots: { type: 'string' }, phase: { type: 'string', default: '6' } },
});
const PHASE_MS = Number(values.phase) * 1000;
const root = new URL('../..', import.meta.url).pathname;
const env = { ...process.env, VIGIL_MASTER_KEY: MASTER_KEY_HEX, VIGIL_LOG_LEVEL: 'warn' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m?.[1] ?? 0) / 102.4) / 10;
}

async function startVigil(dataDir: string): Promise<{ child: ChildProcess; mqtt: number; http: number }> {
  const args = ['start', '--data-dir', dataDir, '--mqtt-port', '0', '--http-port', '0'];
  const node = [
    ...(values.snapshots ? ['--heapsnapshot-signal=SIGUSR2'] : []),
    ...(process.env.SOAK_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
  ];
  const child = spawn(process.execPath, [...node, join(root, 'bin/vigil'), ...args], {
    env,
    cwd: values.snapshots ? resolve(values.snapshots) : dataDir,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  await new Promise<void>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`vigil did not start: ${out}`)), 60_000);
    child.stdout?.on('data', (d) => {
      out += d;
      if (out.includes('press Ctrl-C')) {
        clearTimeout(t);
        ok();
      }
    });
  });
  return {
    child,
    mqtt: Number(/mqtts:\/\/localhost:(\d+)/.exec(out)?.[1]),
    http: Number(/https:\/\/localhost:(\d+)\//.exec(out)?.[1]),
  };
}

/** Runs `one` from `workers` loops until `ms` have passed; returns how many ran. */
async function flood(ms: number, workers: number, one: (i: number) => Promise<void>): Promise<number> {
  const until = Date.now() + ms;
  let n = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (Date.now() < until) {
        await one(w);
        n++;
      }
    }),
  );
  return n;
}

const addr = (i: number) => `127.0.${2 + (i >> 5)}.${(i & 31) + 1}`;

function tcpThen(port: number, local: string, act: (s: net.Socket) => void, holdMs: number): Promise<void> {
  return new Promise((done) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: local });
    s.on('error', () => {});
    s.resume();
    s.once('connect', () => act(s));
    s.once('close', () => done());
    setTimeout(() => s.destroy(), holdMs).unref();
  });
}

function tlsHandshakeReset(port: number, local: string, request?: string): Promise<void> {
  return new Promise((done) => {
    const raw = net.connect({ port, host: '127.0.0.1', localAddress: local });
    raw.on('error', () => {});
    const s = tls.connect({ socket: raw, rejectUnauthorized: false, servername: 'localhost' });
    const end = () => {
      if (!raw.destroyed) raw.resetAndDestroy();
      done();
    };
    s.on('error', end);
    s.on('close', end);
    s.on('secureConnect', () => {
      if (request) s.write(request);
      setTimeout(end, request ? 20 : 1);
    });
    setTimeout(end, 3000).unref();
  });
}

async function main(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-soak-'));
  let child: ChildProcess | undefined;
  const clients: MqttClient[] = [];
  try {
    writeFileSync(
      join(dataDir, 'config.json'),
      JSON.stringify({ mqtt: { publishRatePerSec: 10_000, publishBurst: 10_000 } }),
    );
    const ctx = await openContext({ dataDir, env, logLevel: 'silent', create: true });
    const bundles: DeviceBundleFiles[] = [];
    for (let i = 0; i < 10; i++) {
      bundles.push(
        readDeviceBundle(
          (await addDevice(ctx, { id: `soak-dev-${i}`, profile: 'vaccine-transport', actor: 'soak' })).dir,
        ),
      );
    }
    await ctx.close();
    const v = await startVigil(dataDir);
    child = v.child;
    const pid = v.child.pid as number;
    const ca = readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8');
    const url = `mqtts://127.0.0.1:${v.mqtt}`;

    // Ten devices, 20 readings/s each, for the whole soak.
    let running = true;
    const seqs = new Map<string, number>();
    const devices = bundles.map(async (b) => {
      const c = await connectDevice(url, b);
      clients.push(c);
      while (running && c.connected) {
        const seq = (seqs.get(b.info.id) ?? 0) + 1;
        seqs.set(b.info.id, seq);
        const e = makeEnvelope(b, 'telemetry', { samples: [truckSample()] }, { seq });
        c.publish(topic(b.info.id, 'telemetry'), serializeEnvelope(e), { qos: 1 });
        await sleep(50);
      }
    });
    const rows: [string, number, string][] = [];
    const record = (phase: string, detail: string) => {
      rows.push([phase, rssMiB(pid), detail]);
      console.log(`${phase.padEnd(34)} RSS ${String(rssMiB(pid)).padStart(7)} MiB  ${detail}`);
    };

    await flood(PHASE_MS, 4, async () => {
      await apiRequest(`https://127.0.0.1:${v.http}`, ca, { path: '/healthz' });
    });
    await sleep(2000);
    record('warm-up', 'devices publishing, /healthz requests');
    const warm = rssMiB(pid);
    if (values.snapshots) {
      v.child.kill('SIGUSR2');
      await sleep(20_000);
    }

    const bad = bundles[0] as DeviceBundleFiles;
    const badClient = await connectDevice(url, bad);
    clients.push(badClient);
    let badSeq = 1_000_000;
    const phases: [string, () => Promise<string>][] = [
      [
        'https idle sockets',
        async () =>
          `${await flood(PHASE_MS, 400, (i) => tcpThen(v.http, addr(i % 20), () => {}, PHASE_MS))} sockets`,
      ],
      [
        'mqtt TLS connect-and-reset',
        async () => `${await flood(PHASE_MS, 40, (i) => tlsHandshakeReset(v.mqtt, addr(i)))} handshakes`,
      ],
      [
        'https handshake + request + reset',
        async () =>
          `${await flood(PHASE_MS, 40, (i) => tlsHandshakeReset(v.http, addr(i), 'GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n'))} requests`,
      ],
      [
        'refused envelopes (bad MAC)',
        async () =>
          `${await flood(PHASE_MS, 20, async () => {
            const e = makeEnvelope(bad, 'telemetry', { samples: [truckSample()] }, { seq: ++badSeq });
            const forged = serializeEnvelope({
              ...e,
              mac: e.mac.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
            });
            await new Promise<void>((r) =>
              badClient.publish(topic(bad.info.id, 'telemetry'), forged, { qos: 1 }, () => r()),
            );
          })} envelopes`,
      ],
      [
        'mqtt idle sockets',
        async () =>
          `${await flood(PHASE_MS, 400, (i) => tcpThen(v.mqtt, addr(i % 20), () => {}, PHASE_MS))} sockets`,
      ],
    ];
    for (let round = 1; round <= 2; round++) {
      for (const [name, run] of phases) {
        const detail = await run();
        await sleep(1000);
        record(`${round}. ${name}`, detail);
      }
    }
    await sleep(5000);
    record('after the soak (5 s quiet)', 'all flood sockets closed');
    const end = rssMiB(pid);
    if (values.snapshots) {
      v.child.kill('SIGUSR2');
      await sleep(20_000); // writing a snapshot blocks the server for seconds
    }
    running = false;
    await Promise.all(devices);
    const ratio = end / warm;
    const ok = ratio <= 1.5;
    console.log(
      `RSS after the soak / after warm-up: ${ratio.toFixed(2)}× (limit 1.5×): ${ok ? 'ok' : 'TOO HIGH'}`,
    );
    return ok ? 0 : 1;
  } finally {
    for (const c of clients) await closeClient(c).catch(() => {});
    child?.kill('SIGTERM');
    await sleep(500);
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
