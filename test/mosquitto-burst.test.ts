/**
 * The external-broker link never loses: a burst through a real Mosquitto 2.x configured by
 * `vigil mosquitto-config`, once with Vigil killed (-9) and restarted mid-burst, once with the
 * broker restarted mid-burst. Every message the broker acknowledged to a device is stored exactly
 * once. `VIGIL_BURST` sets the size (npm test: 10,000; `npm run test:scale`: 100,000).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { openContext } from '../src/data-dir/context.ts';
import { serializeEnvelope } from '../src/protocol/envelope.ts';
import type { DeviceBundleFiles } from '../src/sim/device-bundle.ts';
import { MASTER_KEY_HEX, makeEnvelope, topic, truckSample } from './helpers/instance.ts';
import { type FleetBroker, type MosquittoFleet, mosquittoFleet } from './helpers/mosquitto-fleet.ts';
import { type MosquittoProcess, mosquittoInstalled } from './helpers/mosquitto-process.ts';
import { startVigilChild, type VigilChild } from './helpers/vigil-child.ts';

const TOTAL = Number(process.env.VIGIL_BURST ?? 10_000);
const DEVICES = 20;
/** QoS 1 messages a device keeps in flight (well inside the replay window of 1024). */
const WINDOW = 64;

describe(`a ${TOTAL}-message burst through Mosquitto`, {
  skip: mosquittoInstalled() ? false : 'skipped: mosquitto not installed',
  timeout: 900_000,
}, () => {
  let fleet: MosquittoFleet | undefined;
  let dataDir: string;
  let broker: MosquittoProcess;
  let vigil: VigilChild | undefined;
  let port: number;
  let bundles: DeviceBundleFiles[] = [];
  /** Seqs the broker acknowledged, per device; each device's next seq. */
  const acked = new Map<string, Set<number>>();
  const nextSeq = new Map<string, number>();

  before(async () => {
    // The fleet's rate for the queue sizing: a burst of TOTAL within a minute, twice.
    fleet = await mosquittoFleet({
      devices: DEVICES,
      brokers: 1,
      idPrefix: 'burst',
      external: { fleetRatePerSec: Math.ceil((2 * TOTAL) / 60), maxOutageMinutes: 60 },
    });
    ({ dataDir, bundles } = fleet);
    const first = fleet.brokers[0] as FleetBroker;
    [broker, port] = [first.proc, first.port];
    for (const b of bundles) {
      acked.set(b.info.id, new Set());
      nextSeq.set(b.info.id, 1);
    }
    vigil = startVigilChild(['--data-dir', dataDir, '--http-port', '0']);
    await vigil.started();
  });

  after(async () => {
    await vigil?.stop().catch(() => {});
    await fleet?.stop();
  });

  /**
   * Publishes `count` messages spread over the devices; `disrupt` runs once a third is
   * acknowledged. Returns how many the broker acknowledged and how long the burst took.
   */
  async function burst(count: number, disrupt: () => Promise<void>): Promise<{ acked: number; ms: number }> {
    const started = Date.now();
    const clients: MqttClient[] = [];
    let ackedNow = 0;
    let disrupted: Promise<void> | undefined;
    const per = Math.ceil(count / DEVICES);
    try {
      await Promise.all(
        bundles.map(async (b) => {
          const id = b.info.id;
          const c = mqtt.connect(`mqtts://127.0.0.1:${port}`, {
            clientId: id,
            ca: b.ca,
            cert: b.cert,
            key: b.key,
            protocolVersion: 4,
            clean: true,
            reconnectPeriod: 300,
            connectTimeout: 10_000,
          });
          c.on('error', () => {});
          clients.push(c);
          const mine = acked.get(id) as Set<number>;
          let inFlight = 0;
          let sent = 0;
          await new Promise<void>((resolve) => {
            const pump = () => {
              while (inFlight < WINDOW && sent < per) {
                const seq = nextSeq.get(id) as number;
                nextSeq.set(id, seq + 1);
                sent++;
                inFlight++;
                const env = makeEnvelope(
                  b,
                  'telemetry',
                  { samples: [{ ...truckSample(Date.now() - 1000), lat: undefined, lon: undefined }] },
                  { seq },
                );
                c.publish(topic(id, 'telemetry'), serializeEnvelope(env), { qos: 1 }, (err) => {
                  inFlight--;
                  if (!err) {
                    mine.add(seq);
                    ackedNow++;
                    if (!disrupted && ackedNow >= count / 3) disrupted = disrupt();
                  }
                  if (sent >= per && inFlight === 0) resolve();
                  else pump();
                });
              }
            };
            pump();
          });
        }),
      );
      await disrupted;
      return { acked: ackedNow, ms: Date.now() - started };
    } finally {
      for (const c of clients) c.end(true);
    }
  }

  /**
   * Waits until every acknowledged message is stored, then checks each is stored exactly once;
   * reports the burst's figures (acknowledged, stored, duplicates, duration) as a diagnostic.
   */
  async function verify(t: TestContext, run: { acked: number; ms: number }): Promise<void> {
    const want = [...acked.values()].reduce((n, s) => n + s.size, 0);
    const ctx = await openContext({
      dataDir,
      env: { VIGIL_MASTER_KEY: MASTER_KEY_HEX },
      logLevel: 'silent',
      createAdmin: false,
    });
    try {
      // Until all are in, or nothing more arrives for 20 s (bounded: at most 5 min).
      const deadline = Date.now() + 300_000;
      let last = -1;
      let since = Date.now();
      for (
        let n = await ctx.store.countReadings();
        n < want && Date.now() < deadline;
        n = await ctx.store.countReadings()
      ) {
        if (n !== last) [last, since] = [n, Date.now()];
        else if (Date.now() - since > 20_000) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const stored = await ctx.store.countReadings();
      let duplicates = 0;
      for (const d of bundles) {
        const seqs = (await ctx.store.queryReadings({ deviceId: d.info.id, limit: 100_000 })).map(
          (r) => r.seq,
        );
        duplicates += seqs.length - new Set(seqs).size;
      }
      t.diagnostic(
        JSON.stringify({
          acknowledged: run.acked,
          storedTotal: stored,
          acknowledgedTotal: want,
          duplicates,
          burstMs: run.ms,
        }),
      );
      for (const b of bundles) {
        const id = b.info.id;
        const rows = await ctx.store.queryReadings({ deviceId: id, limit: 100_000 });
        const seqs = rows.map((r) => r.seq);
        assert.equal(new Set(seqs).size, seqs.length, `${id}: a message stored twice`);
        const missing = [...(acked.get(id) as Set<number>)].filter((s) => !seqs.includes(s));
        if (missing.length > 0 && process.env.VIGIL_BURST_DEBUG) {
          console.log(
            JSON.stringify({
              id,
              missing: missing.slice(0, 50),
              counters: await ctx.store.getCounters(),
              max: Math.max(...seqs),
            }),
          );
          console.log(broker.log().slice(-4000));
          console.log(vigil?.output().slice(-4000));
        }
        assert.deepEqual(missing.slice(0, 10), [], `${id}: ${missing.length} acknowledged messages lost`);
      }
      assert.equal(await ctx.store.countReadings(), want, 'stored = acknowledged');
    } finally {
      await ctx.close();
    }
  }

  it('stores every acknowledged message exactly once when Vigil is killed (-9) and restarted mid-burst', async (t) => {
    const b = await burst(TOTAL, async () => {
      await vigil?.kill9();
      vigil = startVigilChild(['--data-dir', dataDir, '--http-port', '0']);
      await vigil.started();
    });
    await verify(t, b);
  });

  it('stores every acknowledged message exactly once when the broker is restarted mid-burst', async (t) => {
    const b = await burst(TOTAL, async () => {
      await broker.stop();
      await broker.start();
    });
    await verify(t, b);
    assert.doesNotMatch(broker.log(), /Outgoing messages are being dropped/, 'the broker dropped nothing');
  });
});
