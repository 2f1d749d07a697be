import { listenerWorkersOf } from './listener-workers.ts';
import type { LoadDevice } from './load-types.ts';
import { startVigilFixture, type VigilFixture } from './vigil-fixture.ts';
import { SeqCursor } from './w1-throughput.ts';

/** Publishers of the W1 load: 4 clients, each a provisioned device with its own certificate. */
export const W1_CLIENTS = 4;

/** The Vigil instance that W1, latency, live and API share, with the W1 devices provisioned. */
export interface SharedVigil {
  fx: VigilFixture;
  devices: LoadDevice[];
  /** The next free seq per device: runs on one instance must never reuse one. */
  cursor: SeqCursor;
}

/** What an entry gets from the runner (bench/run.ts). */
export interface BenchContext {
  readonly quick: boolean;
  /** Every command-line option; entries read their own (`--nodelay`, `--max-rate=N`, ...). */
  readonly args: Readonly<Record<string, string | boolean | undefined>>;
  log(line: string): void;
  /** Results of the entries that ran before, by id. */
  readonly results: ReadonlyMap<string, unknown>;
  /** The shared Vigil instance, started on first use. */
  vigil(): Promise<SharedVigil>;
}

/**
 * The runner's side of the context: the shared instance is embedded broker, pipeline and
 * encrypted SQLite with `synchronous = FULL`, its per-client publish rate lifted to the schema's
 * maximum (100000/s; the brief's 1e6 is refused by the config schema), which is still far above
 * what one client reaches here.
 */
export function createBenchContext(o: {
  quick: boolean;
  args: Record<string, string | boolean | undefined>;
  log: (line: string) => void;
  results: Map<string, unknown>;
}): BenchContext & { stopVigil(): Promise<void> } {
  let shared: Promise<SharedVigil> | undefined;
  const start = async (): Promise<SharedVigil> => {
    const listenerWorkers = listenerWorkersOf(o.args);
    o.log(
      `\n[setup] Vigil instance (embedded broker, pipeline, encrypted SQLite, synchronous FULL, listenerWorkers ${listenerWorkers})`,
    );
    const fx = await startVigilFixture({
      mqtt: { publishRatePerSec: 100_000, publishBurst: 1_000_000, listenerWorkers },
      storage: { synchronous: 'FULL' },
    });
    try {
      const devices: LoadDevice[] = [];
      for (let i = 0; i < W1_CLIENTS; i++) devices.push(await fx.provision(`bench-dev-${i}`));
      o.log(`  ${fx.url}, ${W1_CLIENTS} devices provisioned (A256GCM), data dir ${fx.dataDir}`);
      return { fx, devices, cursor: new SeqCursor(W1_CLIENTS) };
    } catch (err) {
      await fx.destroy();
      throw err;
    }
  };
  return {
    quick: o.quick,
    args: o.args,
    log: o.log,
    results: o.results,
    vigil: () => {
      shared ??= start();
      return shared;
    },
    stopVigil: async () => {
      const s = shared;
      shared = undefined;
      if (s) await (await s.catch(() => undefined))?.fx.destroy().catch(() => {});
    },
  };
}
