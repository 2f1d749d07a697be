import { provisionFleet } from './fleet.ts';
import type { LoadDevice } from './load-types.ts';
import { median } from './stats.ts';
import { startVigilFixture } from './vigil-fixture.ts';
import { runRawOnce, runVigilOnce, SeqCursor, type W1Options, type W1Run } from './w1-throughput.ts';

export interface ManyOptions {
  /** Devices of the many-devices side, one client and one message in flight each. */
  devices: number;
  /** The comparison: `clients` x `window` in flight (the W1 shape). */
  clients: number;
  window: number;
  warmupMs: number;
  durationMs: number;
  rounds: number;
  /** Envelopes sealed per many-devices client (a bound of the run; a drained pool ends it early). */
  poolPerDevice: number;
  noDelay: boolean;
  /** `mqtt.listenerWorkers` of the Vigil instance (TLS offload workers); default 0. */
  listenerWorkers?: number;
  /** Also run both shapes on raw Aedes in every round (the many entry does; the workers entry not). */
  raw?: boolean;
}

export interface ManyResult {
  listenerWorkers: number;
  devices: number;
  clients: number;
  window: number;
  /**
   * Per round: the W1-shaped run and the many-devices run on Vigil, and (with `raw`) the same two
   * shapes on raw Aedes (the W1 baseline: TLS and MQTT only) with the same clients and certificates.
   */
  rounds: { few: W1Run; many: W1Run; rawFew?: W1Run; rawMany?: W1Run }[];
  fewRate: number;
  manyRate: number;
  /** many / few. */
  ratio: number;
  /** The same ratio on raw Aedes (NaN without `raw`): what TLS and MQTT alone lose to one message per connection. */
  rawFewRate: number;
  rawManyRate: number;
  rawRatio: number;
}

/** A prepared many-devices bench: an instance with both fleets provisioned and primed. */
export interface ManyBench {
  /** Runs round `i` (0-based): both shapes, their order alternating with `i`. */
  round(i: number): Promise<void>;
  result(): ManyResult;
  close(): Promise<void>;
}

/**
 * Many slow devices against a few fast ones, with the same messages in flight in total: on one
 * Vigil instance, `clients` x `window` (the W1 shape) and `devices` x 1, alternating within each
 * round; each figure is the median of its rounds. The many-devices side is what a fleet looks
 * like: every message of a commit from a different device. The same two shapes against raw Aedes
 * (TLS and MQTT only, bench/raw-aedes.ts) show what one message per connection costs before any
 * of Vigil's own work.
 */
export async function runMany(o: ManyOptions, log: (s: string) => void): Promise<ManyResult> {
  const bench = await openManyBench(o, log);
  try {
    for (let i = 0; i < o.rounds; i++) await bench.round(i);
    return bench.result();
  } finally {
    await bench.close();
  }
}

/** Starts the instance of {@link runMany} and provisions and primes its fleets. */
export async function openManyBench(o: ManyOptions, log: (s: string) => void): Promise<ManyBench> {
  let few: LoadDevice[] = [];
  let many: LoadDevice[] = [];
  const fx = await startVigilFixture(
    {
      mqtt: {
        publishRatePerSec: 100_000,
        publishBurst: 1_000_000,
        maxConnectionsPerAddress: o.devices + o.clients + 100,
        connectRatePerMinute: 1000,
        listenerWorkers: o.listenerWorkers ?? 0,
      },
      storage: { synchronous: 'FULL' },
    },
    {
      seed: async (ctx) => {
        const ids = (p: string, n: number) =>
          Array.from({ length: n }, (_, i) => `${p}-${String(i).padStart(4, '0')}`);
        few = await provisionFleet(ctx, ids('bench-few', o.clients), { certs: true });
        many = await provisionFleet(ctx, ids('bench-many', o.devices), { certs: true });
      },
    },
  );
  try {
    log(
      `  ${o.devices} + ${o.clients} devices provisioned on ${fx.url} (listenerWorkers ${o.listenerWorkers ?? 0})`,
    );
    const fewCursor = new SeqCursor(few.length);
    const manyCursor = new SeqCursor(many.length);
    const base: W1Options = {
      window: o.window,
      warmupMs: o.warmupMs,
      durationMs: o.durationMs,
      rounds: 1,
      poolPerClient: 12_000,
      noDelay: o.noDelay,
    };
    // Untimed: every device's first messages (its keys, replay window and rules are loaded on
    // first use), so the rounds measure a fleet that is already running.
    const prime = await runVigilOnce(fx, many, manyCursor, {
      ...base,
      window: 1,
      poolPerClient: 3,
      warmupMs: 0,
      durationMs: 60_000,
    });
    log(`  primed: ${prime.acked} messages from ${many.length} devices`);
    const rounds: ManyResult['rounds'] = [];
    const runFew = () => runVigilOnce(fx, few, fewCursor, base);
    const runManyOnce = () =>
      runVigilOnce(fx, many, manyCursor, { ...base, window: 1, poolPerClient: o.poolPerDevice });
    const runRawFew = () => runRawOnce(fx, few, base);
    const runRawMany = () => runRawOnce(fx, many, { ...base, window: 1, poolPerClient: o.poolPerDevice });
    const vigilPair = async (i: number) => {
      if (i % 2 === 0) {
        const f = await runFew();
        return { f, m: await runManyOnce() };
      }
      const m = await runManyOnce();
      return { f: await runFew(), m };
    };
    const rawPair = async () => {
      const rawFew = await runRawFew();
      return { rawFew, rawMany: await runRawMany() };
    };
    return {
      async round(i) {
        let raw: { rawFew: W1Run; rawMany: W1Run } | undefined;
        // With the raw Aedes pair: Vigil first in even rounds, raw Aedes first in odd ones, so a
        // load burst of the shared machine lands on each side in turn.
        if (o.raw && i % 2 === 1) raw = await rawPair();
        const { f, m } = await vigilPair(i);
        if (o.raw && i % 2 === 0) raw = await rawPair();
        log(
          `  round ${i + 1}/${o.rounds}${o.listenerWorkers ? ` (listenerWorkers ${o.listenerWorkers})` : ''}: ` +
            `${o.clients}x${o.window} ${f.ackRate.toFixed(0)} msg/s, ` +
            `${o.devices}x1 ${m.ackRate.toFixed(0)} msg/s (${m.pipeline?.messagesPerCommit.toFixed(1)} msg/commit)` +
            (raw
              ? `; raw Aedes ${raw.rawFew.ackRate.toFixed(0)} / ${raw.rawMany.ackRate.toFixed(0)} msg/s`
              : ''),
        );
        rounds.push({ few: f, many: m, ...raw });
      },
      result() {
        const med = (pick: (r: ManyResult['rounds'][number]) => W1Run | undefined) =>
          median(rounds.map((r) => pick(r)?.ackRate ?? Number.NaN));
        const fewRate = med((r) => r.few);
        const manyRate = med((r) => r.many);
        const rawFewRate = o.raw ? med((r) => r.rawFew) : Number.NaN;
        const rawManyRate = o.raw ? med((r) => r.rawMany) : Number.NaN;
        return {
          listenerWorkers: o.listenerWorkers ?? 0,
          devices: o.devices,
          clients: o.clients,
          window: o.window,
          rounds,
          fewRate,
          manyRate,
          ratio: manyRate / fewRate,
          rawFewRate,
          rawManyRate,
          rawRatio: rawManyRate / rawFewRate,
        };
      },
      close: () => fx.destroy(),
    };
  } catch (err) {
    await fx.destroy();
    throw err;
  }
}
