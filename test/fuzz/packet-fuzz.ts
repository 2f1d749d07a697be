/**
 * Raw MQTT packet fuzzing against the real TLS listener of a real `vigil start` (embedded broker,
 * pipeline and store in a child process, measured from outside). Fuzz connections present real
 * device certificates (and a few none), send a CONNECT (mostly valid, else mutated) and then
 * mutated PUBLISH/SUBSCRIBE/... bytes. Meanwhile a well-behaved probe device publishes valid
 * envelopes over its own connection: each must get its PUBACK and be in the store at the end.
 * The server must not exit, and its RSS must stay flat.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import mqttPacket from 'mqtt-packet';
import { configSchema } from '../../src/config/schema.ts';
import { openContext } from '../../src/data-dir/context.ts';
import { addDevice } from '../../src/devices/device-service.ts';
import { serializeEnvelope } from '../../src/protocol/envelope.ts';
import { type DeviceBundleFiles, readDeviceBundle } from '../../src/sim/device-bundle.ts';
import { closeClient, connectDevice, makeEnvelope, publish, topic } from '../helpers/instance.ts';
import { freePort, startVigil, stopVigil } from '../helpers/vigil-process.ts';
import { isFlat, rssOfPid } from './memory.ts';
import { connectPacket, sessionPacket } from './packet-cases.ts';
import { Prng } from './prng.ts';

export interface PacketFuzzResult {
  packets: number;
  connections: number;
  /** What the fuzz clients saw: CONNACK codes, PUBACKs, SUBACK refusals, closes, ... */
  outcomes: Record<string, number>;
  /** Packets sent per mutation. */
  mutations: Record<string, number>;
  /** The server's rejection counters by reason (from its store, after it stopped). */
  rejected: Record<string, number>;
  probes: { sent: number; acked: number; stored: number };
  failures: string[];
  serverRssMb: { before: number | null; warm: number | null; after: number | null };
  ms: number;
}

export interface PacketFuzzOptions {
  count: number;
  seed: number;
  /** Fuzz connections at once. */
  concurrency?: number;
  /** Device identities the fuzz connections use. */
  devices?: number;
  progress?: (done: number) => void;
}

const MAX_FAILURES = 50;
const PROBE_EVERY = 500;

/** High limits for the fuzz server, plus any connection-rate limits this version's schema knows. */
function fuzzConfig(): Record<string, unknown> {
  const mqtt: Record<string, unknown> = {
    publishRatePerSec: 100_000,
    publishBurst: 1_000_000,
    maxConnectionsPerAddress: 100_000,
    connectTimeoutMs: 2000,
  };
  for (const key of ['connectRatePerMinute', 'takeoversPerMinute']) {
    for (const v of [1_000_000, 100_000, 10_000, 1000]) {
      if (configSchema.safeParse({ dataDir: '/x', mqtt: { ...mqtt, [key]: v } }).success) {
        mqtt[key] = v;
        break;
      }
    }
  }
  return { mqtt };
}

const bump = (o: Record<string, number>, k: string, n = 1) => {
  o[k] = (o[k] ?? 0) + n;
};

export async function fuzzPackets(o: PacketFuzzOptions): Promise<PacketFuzzResult> {
  const t0 = performance.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-fuzz-'));
  const env = { ...process.env, VIGIL_MASTER_KEY: randomBytes(32).toString('hex'), VIGIL_LOG_LEVEL: 'error' };
  const failures: string[] = [];
  const fail = (why: string) => {
    if (failures.length < MAX_FAILURES) failures.push(why);
  };
  const outcomes: Record<string, number> = {};
  const mutations: Record<string, number> = {};
  const nDevices = o.devices ?? 16;
  try {
    const ctx = await openContext({ dataDir, env, logLevel: 'silent', create: true });
    const bundles: DeviceBundleFiles[] = [];
    let probe: DeviceBundleFiles;
    try {
      for (let i = 0; i < nDevices; i++) {
        const d = await addDevice(ctx, { id: `fuzz-pkt-${i}`, profile: 'vaccine-transport', actor: 'fuzz' });
        bundles.push(readDeviceBundle(d.dir));
      }
      probe = readDeviceBundle(
        (await addDevice(ctx, { id: 'fuzz-probe', profile: 'vaccine-transport', actor: 'fuzz' })).dir,
      );
    } finally {
      await ctx.close();
    }
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify(fuzzConfig()));
    const port = await freePort();
    const server = await startVigil(dataDir, port, env);
    const pid = server.child.pid as number;
    const alive = () => server.child.exitCode === null && server.child.signalCode === null;
    const url = `mqtts://127.0.0.1:${port}`;
    const rss = { before: await rssOfPid(pid), warm: null as number | null, after: null as number | null };

    const probes = { sent: 0, acked: 0, stored: 0 };
    const probeAcked: number[] = [];
    let probeClient = await connectDevice(url, probe);
    const runProbe = async () => {
      const seq = ++probes.sent;
      const env = makeEnvelope(
        probe,
        'telemetry',
        { samples: [{ ts: Date.now(), temp_c: 5, rh_pct: 50, lat: 1, lon: 1, bat_pct: 90, power: 'mains' }] },
        { seq },
      );
      if (!probeClient.connected) probeClient = await connectDevice(url, probe);
      const acked = await Promise.race([
        publish(probeClient, topic(probe.info.id, 'telemetry'), serializeEnvelope(env)).then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 15_000).unref()),
      ]).catch(() => false);
      if (acked) {
        probes.acked++;
        probeAcked.push(seq);
      } else fail(`probe seq ${seq}: no PUBACK within 15 s`);
    };

    const rng = new Prng(o.seed);
    const seqs = new Map<string, number>();
    const sessions = new Map<string, Buffer>();
    let packets = 0;
    let connections = 0;
    let nextProbe = PROBE_EVERY;
    let warmAt = Math.ceil(o.count / 10);

    const oneConnection = async (r: Prng) => {
      const b = r.pick(bundles);
      const id = b.info.id;
      const withCert = !r.chance(0.02);
      const ctxP = {
        deviceId: id,
        otherId: r.pick(bundles).info.id,
        prefix: 'vigil/v1',
        envelope: () => {
          const s = (seqs.get(id) ?? 0) + 1;
          seqs.set(id, s);
          return Buffer.from(
            serializeEnvelope(
              makeEnvelope(
                b,
                'telemetry',
                {
                  samples: [
                    { ts: Date.now(), temp_c: 4, rh_pct: 50, lat: 1, lon: 1, bat_pct: 90, power: 'mains' },
                  ],
                },
                { seq: s },
              ),
            ),
          );
        },
      };
      connections++;
      const socket: TLSSocket = tlsConnect({
        host: '127.0.0.1',
        port,
        ca: b.ca,
        ...(withCert ? { cert: b.cert, key: b.key } : {}),
        ...(withCert && sessions.has(id) ? { session: sessions.get(id) } : {}),
      });
      socket.on('session', (s: Buffer) => sessions.set(id, s));
      let closed = false;
      const closedP = new Promise<void>((res) =>
        socket.once('close', () => {
          closed = true;
          res();
        }),
      );
      socket.on('error', () => {});
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      let connack: number | undefined;
      let wake: (() => void) | undefined;
      parser.on('packet', (packet) => {
        const p = packet as { cmd: string; returnCode?: number; granted?: number[] };
        if (p.cmd === 'connack') {
          connack = p.returnCode ?? -1;
          bump(outcomes, `connack.${connack}`);
        } else if (p.cmd === 'suback') {
          for (const g of p.granted ?? [])
            bump(outcomes, g === 128 ? 'suback.refused' : `suback.granted${g}`);
        } else bump(outcomes, p.cmd);
        wake?.();
      });
      parser.on('error', () => bump(outcomes, 'client.unparsable-reply'));
      socket.on('data', (d: Buffer) => parser.parse(d));
      const waitFor = (ms: number, until: () => boolean) =>
        new Promise<void>((res) => {
          if (until() || closed) return res();
          const t = setTimeout(done, ms);
          function done() {
            clearTimeout(t);
            wake = undefined;
            res();
          }
          wake = () => {
            if (until()) done();
          };
          void closedP.then(done);
        });
      try {
        const ok = await Promise.race([
          new Promise<boolean>((res) => socket.once('secureConnect', () => res(true))),
          closedP.then(() => false),
          new Promise<boolean>((res) => setTimeout(() => res(false), 5000).unref()),
        ]);
        if (!ok) {
          bump(outcomes, withCert ? 'tls.failed' : 'tls.refused-without-certificate');
          return;
        }
        const c = connectPacket(ctxP, r);
        socket.write(c.bytes);
        packets++;
        bump(mutations, c.name);
        await waitFor(c.valid ? 3000 : 300, () => connack !== undefined);
        if (connack !== 0) {
          if (!closed) await waitFor(200, () => false);
          bump(outcomes, closed ? 'closed-after-connect' : 'left-open-after-connect');
          return;
        }
        const n = 1 + r.int(12);
        for (let i = 0; i < n && !closed && packets < o.count; i++) {
          const p = sessionPacket(ctxP, r, 1 + r.int(65535));
          socket.write(p.bytes);
          packets++;
          bump(mutations, p.name);
          await new Promise((res) => setImmediate(res));
        }
        await waitFor(50, () => false);
        bump(outcomes, closed ? 'closed-by-server' : 'session-ended-by-client');
      } finally {
        socket.destroy();
        await closedP;
      }
    };

    const worker = async (r: Prng) => {
      while (packets < o.count && alive() && failures.length < MAX_FAILURES) {
        await oneConnection(r.fork());
        if (packets >= nextProbe) {
          nextProbe += PROBE_EVERY;
          await runProbe();
          o.progress?.(packets);
        }
        if (packets >= warmAt && rss.warm === null) {
          warmAt = Number.POSITIVE_INFINITY;
          rss.warm = await rssOfPid(pid);
        }
      }
    };
    await Promise.all(Array.from({ length: o.concurrency ?? 4 }, () => worker(rng.fork())));
    if (!alive())
      fail(
        `the server exited (${server.child.exitCode ?? server.child.signalCode}): ${server.output().slice(-2000)}`,
      );
    await runProbe();
    rss.after = await rssOfPid(pid);
    if (rss.warm !== null && rss.after !== null && !isFlat(rss.warm, rss.after)) {
      fail(`server RSS grew from ${rss.warm} MB to ${rss.after} MB`);
    }
    await closeClient(probeClient);
    const code = await stopVigil(server);
    if (code !== 0) fail(`the server stopped with exit code ${code}`);

    const check = await openContext({ dataDir, env, logLevel: 'silent' });
    let rejected: Record<string, number> = {};
    try {
      const counters = await check.store.getCounters();
      rejected = Object.fromEntries(
        Object.entries(counters)
          .filter(([k]) => k.startsWith('rejected.'))
          .map(([k, v]) => [k.slice('rejected.'.length), v]),
      );
      const rows = await check.store.queryReadings({ deviceId: probe.info.id, since: 0, limit: 100_000 });
      const stored = new Set(rows.map((r) => r.seq));
      probes.stored = probeAcked.filter((s) => stored.has(s)).length;
      for (const s of probeAcked) if (!stored.has(s)) fail(`probe seq ${s}: acknowledged but not stored`);
    } finally {
      await check.close();
    }
    return {
      packets,
      connections,
      outcomes,
      mutations,
      rejected,
      probes,
      failures,
      serverRssMb: rss,
      ms: performance.now() - t0,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
