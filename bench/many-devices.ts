import { provisionFleet } from './fleet.ts';
import type { LoadDevice } from './load-types.ts';
import { median } from './stats.ts';
import { startVigilFixture } from './vigil-fixture.ts';
import { runVigilOnce, SeqCursor, type W1Options, type W1Run } from './w1-throughput.ts';

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
}

export interface ManyResult {
  listenerWorkers: number;
  devices: number;
  clients: number;
  window: number;
  /** Per round: the W1-shaped run and the many-devices run, in the order they ran. */
  rounds: { few: W1Run; many: W1Run }[];
  fewRate: number;
  manyRate: number;
  /** many / few. */
  ratio: number;
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
 * like: every message of a commit from a different device.
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
    return {
      async round(i) {
        let f: W1Run;
        let m: W1Run;
        if (i % 2 === 0) {
          f = await runFew();
          m = await runManyOnce();
        } else {
          m = await runManyOnce();
          f = await runFew();
        }
        log(
          `  round ${i + 1}/${o.rounds}${o.listenerWorkers ? ` (listenerWorkers ${o.listenerWorkers})` : ''}: ` +
            `${o.clients}x${o.window} ${f.ackRate.toFixed(0)} msg/s, ` +
            `${o.devices}x1 ${m.ackRate.toFixed(0)} msg/s (${m.pipeline?.messagesPerCommit.toFixed(1)} msg/commit)`,
        );
        rounds.push({ few: f, many: m });
      },
      result() {
        const fewRate = median(rounds.map((r) => r.few.ackRate));
        const manyRate = median(rounds.map((r) => r.many.ackRate));
        return {
          listenerWorkers: o.listenerWorkers ?? 0,
          devices: o.devices,
          clients: o.clients,
          window: o.window,
          rounds,
          fewRate,
          manyRate,
          ratio: manyRate / fewRate,
        };
      },
      close: () => fx.destroy(),
    };
  } catch (err) {
    await fx.destroy();
    throw err;
  }
}
