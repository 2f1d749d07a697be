/**
 * Redundant brokers: devices with an ordered broker list (A, then B) stream readings through A;
 * A is killed (-9); each device moves to B when its connection to A drops (the keep-alive bounds
 * how long a silent broker can go unnoticed) and re-sends what A never acknowledged. Vigil reads
 * both brokers. Used by test/scale-redundant-brokers.test.ts (which asserts) and the scale bench
 * (which reports the figures).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { serializeEnvelope } from '../../src/protocol/envelope.ts';
import { makeEnvelope, topic, truckSample } from './instance.ts';
import type { MosquittoFleet } from './mosquitto-fleet.ts';

export interface BrokerFailoverOptions {
  /** One reading per device every intervalMs. */
  intervalMs: number;
  /** Streaming time before the kill, and after every device reached B. */
  beforeKillMs: number;
  afterMoveMs: number;
  keepaliveS: number;
}

export interface BrokerFailoverResult {
  devices: number;
  acked: number;
  stored: number;
  /** Acknowledged (by A or B) but not stored. */
  lost: number;
  /** Stored rows beyond one per (device, seq). */
  duplicated: number;
  /** Devices that had readings acknowledged by B after the kill. */
  moved: number;
  /** Per device, the last acknowledgement from A to the first from B: the largest and the median. */
  gapMaxMs: number;
  gapMedianMs: number;
}

interface Dev {
  id: string;
  client: MqttClient;
  /** Index into the fleet's brokers of the last completed connection (-1: none yet). */
  on: number;
  acked: Set<number>;
  lastOnA: number;
  firstOnB: number;
  next: number;
  inFlight: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runBrokerFailover(
  fleet: MosquittoFleet,
  o: BrokerFailoverOptions,
): Promise<BrokerFailoverResult> {
  const [a, b] = fleet.brokers;
  if (!a || !b) throw new Error('two brokers needed');
  const devs: Dev[] = fleet.bundles.map((bundle) => {
    const client = mqtt.connect({
      servers: [a, b].map((x) => ({ host: '127.0.0.1', port: x.port, protocol: 'mqtts' as const })),
      protocol: 'mqtts',
      clientId: bundle.info.id,
      ca: bundle.ca,
      cert: bundle.cert,
      key: bundle.key,
      protocolVersion: 4,
      clean: true,
      keepalive: o.keepaliveS,
      reconnectPeriod: 250,
      connectTimeout: 5000,
    });
    const d: Dev = {
      id: bundle.info.id,
      client,
      on: -1,
      acked: new Set(),
      lastOnA: 0,
      firstOnB: 0,
      next: 1,
      inFlight: 0,
    };
    client.on('connect', () => {
      d.on = client.options.port === a.port ? 0 : 1;
    });
    // MQTT.js re-sends its stored messages before it emits 'connect': an acknowledgement comes
    // from the broker of the current connection attempt, whose port it set in its options.

    client.on('error', () => {});
    return d;
  });
  const bundleOf = new Map(fleet.bundles.map((x) => [x.info.id, x]));
  let publishing = true;
  const tick = () => {
    if (!publishing) return;
    for (const d of devs) {
      const seq = d.next++;
      d.inFlight++;
      const env = makeEnvelope(
        bundleOf.get(d.id) as NonNullable<ReturnType<typeof bundleOf.get>>,
        'telemetry',
        { samples: [{ ...truckSample(Date.now()), lat: undefined, lon: undefined }] },
        { seq },
      );
      // MQTT.js keeps an unacknowledged QoS 1 message and sends it again after reconnecting,
      // to whichever broker of the list it reached: the device's outbox.
      d.client.publish(topic(d.id, 'telemetry'), serializeEnvelope(env), { qos: 1 }, (err) => {
        d.inFlight--;
        if (err) return;
        d.acked.add(seq);
        const now = Date.now();
        if (d.client.options.port === a.port) d.lastOnA = now;
        else if (d.firstOnB === 0) d.firstOnB = now;
      });
    }
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const connected = Date.now() + 30_000;
    while (devs.some((d) => d.on !== 0) && Date.now() < connected) await sleep(50);
    if (devs.some((d) => d.on !== 0)) throw new Error('devices did not connect to broker A');
    timer = setInterval(tick, o.intervalMs);
    await sleep(o.beforeKillMs);
    await a.proc.kill9();
    // Every device on B (bounded: far beyond the keep-alive), then stream on B for a while.
    const moved = Date.now() + (3 * o.keepaliveS + 30) * 1000;
    while (devs.some((d) => d.firstOnB === 0) && Date.now() < moved) await sleep(50);
    await sleep(o.afterMoveMs);
    publishing = false;
    const drained = Date.now() + 30_000;
    while (devs.some((d) => d.inFlight > 0) && Date.now() < drained) await sleep(50);
  } finally {
    clearInterval(timer);
    await Promise.all(devs.map((d) => new Promise<void>((r) => d.client.end(true, {}, () => r()))));
  }
  const want = devs.reduce((n, d) => n + d.acked.size, 0);
  const ctx = await fleet.context();
  // Until every acknowledged reading is in, or nothing arrives for 15 s (at most 2 minutes).
  const deadline = Date.now() + 120_000;
  let last = -1;
  let since = Date.now();
  for (let n = await ctx.store.countReadings(); n < want && Date.now() < deadline; ) {
    if (n !== last) [last, since] = [n, Date.now()];
    else if (Date.now() - since > 15_000) break;
    await sleep(250);
    n = await ctx.store.countReadings();
  }
  let lost = 0;
  let duplicated = 0;
  let stored = 0;
  const gaps: number[] = [];
  for (const d of devs) {
    const seqs = (await ctx.store.queryReadings({ deviceId: d.id, limit: 100_000 })).map((r) => r.seq);
    const have = new Set(seqs);
    stored += seqs.length;
    duplicated += seqs.length - have.size;
    for (const s of d.acked) if (!have.has(s)) lost++;
    if (d.firstOnB > 0 && d.lastOnA > 0) gaps.push(d.firstOnB - d.lastOnA);
  }
  gaps.sort((x, y) => x - y);
  return {
    devices: devs.length,
    acked: want,
    stored,
    lost,
    duplicated,
    moved: devs.filter((d) => d.firstOnB > 0).length,
    gapMaxMs: gaps.at(-1) ?? Number.NaN,
    gapMedianMs: gaps[Math.floor(gaps.length / 2)] ?? Number.NaN,
  };
}
