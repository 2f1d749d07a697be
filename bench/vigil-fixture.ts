import { join } from 'node:path';
import type { ConfigInput } from '../src/config/schema.ts';
import { openContext, serverTlsMaterial, type VigilContext } from '../src/data-dir/context.ts';
import { addDevice } from '../src/devices/device-service.ts';
import type { AcceptedMessage } from '../src/ingest/pipeline.ts';
import type { Alg } from '../src/protocol/aead.ts';
import { type RunningServer, startServer } from '../src/server/start-server.ts';
import { readDeviceBundle } from '../src/sim/device-bundle.ts';
import type { IngestBatch } from '../src/storage/store.ts';
import { nowMs } from './clock.ts';
import type { LoadDevice } from './load-types.ts';
import { makeTempDir, removeTempDir } from './temp-dirs.ts';

/** A throwaway master key for the throwaway data directory (same value as the test helpers). */
const BENCH_MASTER_KEY_HEX = 'a'.repeat(64);

/** One committed `writeBatch`, as seen by the bench's wrapper around the store. */
export interface CommitSample {
  /** When the commit finished ({@link nowMs}). */
  at: number;
  ms: number;
  readings: number;
  replayStates: number;
  replayBytes: number;
}

/**
 * A whole Vigil (embedded broker with mTLS, ingest pipeline, encrypted SQLite store) in this
 * process on 127.0.0.1, like test/helpers/instance.ts `startInstance`, plus what a benchmark
 * needs: the `onAccepted` hook (for publish-to-stored latency) and a timing wrapper around the
 * store's `writeBatch` (commit sizes and durations). src/ is used as is.
 */
export interface VigilFixture {
  dataDir: string;
  ctx: VigilContext;
  server: RunningServer;
  url: string;
  /** Server TLS material (cert, key, CA): the raw-Aedes baseline reuses it. */
  tls: { cert: string; key: string; ca: string };
  /** Set to receive accepted (committed) messages; undefined to ignore them. */
  onAccepted: ((ev: AcceptedMessage, atMs: number) => void) | undefined;
  /** Commits recorded while `recordCommits` is true. */
  commits: CommitSample[];
  recordCommits: boolean;
  provision(id: string, alg?: Alg): Promise<LoadDevice>;
  destroy(): Promise<void>;
}

/** Options of {@link startVigilFixture} beyond the configuration. */
export interface FixtureOptions {
  /**
   * Fills the data directory before the server starts (devices, history), through a context
   * opened with `synchronous = NORMAL` (seeding speed is not measured), then closed.
   */
  seed?: (ctx: VigilContext) => Promise<void>;
  /** Use this data directory (kept by `destroy`: the caller owns it) instead of a fresh one. */
  dataDir?: string;
}

export const fixtureEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  VIGIL_MASTER_KEY: BENCH_MASTER_KEY_HEX,
});

export async function startVigilFixture(
  overrides: Partial<ConfigInput> = {},
  opts: FixtureOptions = {},
): Promise<VigilFixture> {
  const dataDir = opts.dataDir ?? makeTempDir('vigil-bench-');
  const owned = opts.dataDir === undefined;
  const env = fixtureEnv();
  let ctx: VigilContext | undefined;
  let server: RunningServer | undefined;
  const configOverrides: Partial<ConfigInput> = {
    ...overrides,
    mqtt: { host: '127.0.0.1', port: 0, ...(overrides.mqtt ?? {}) },
    http: { host: '127.0.0.1', port: 0 },
    ota: { port: 0, ...(overrides.ota ?? {}) },
  };
  const logLevel = process.env.VIGIL_BENCH_LOG ?? 'silent';
  try {
    if (opts.seed) {
      const seeding = await openContext({
        dataDir,
        env,
        create: true,
        logLevel,
        overrides: { ...configOverrides, storage: { synchronous: 'NORMAL' } },
      });
      try {
        await opts.seed(seeding);
      } finally {
        await seeding.close();
      }
    }
    ctx = await openContext({ dataDir, env, create: true, logLevel, overrides: configOverrides });
    const fixture = {
      onAccepted: undefined,
      commits: [],
      recordCommits: false,
    } as unknown as VigilFixture;
    // Wrap the store instance's writeBatch (the pipeline's BatchWriter calls it) to time commits.
    const store = ctx.store;
    const original = store.writeBatch.bind(store);
    store.writeBatch = async (batch: IngestBatch) => {
      const t0 = nowMs();
      const r = await original(batch);
      if (fixture.recordCommits) {
        let replayBytes = 0;
        for (const s of batch.replayStates) replayBytes += s.bitmap.length + s.nonces.length;
        const t1 = nowMs();
        fixture.commits.push({
          at: t1,
          ms: t1 - t0,
          readings: batch.readings.length,
          replayStates: batch.replayStates.length,
          replayBytes,
        });
      }
      return r;
    };
    // VIGIL_BENCH_INLINE_STORE=1: commits on the event loop, as before the ingest thread (A/B runs).
    if (process.env.VIGIL_BENCH_INLINE_STORE === '1') ctx.startIngestThread = async () => {};
    server = await startServer(ctx, {
      onAccepted: (ev) => fixture.onAccepted?.(ev, nowMs()),
    });
    const c = ctx;
    const s = server;
    const material = serverTlsMaterial(c);
    Object.assign(fixture, {
      dataDir,
      ctx: c,
      server: s,
      url: `mqtts://127.0.0.1:${s.mqttPort}`,
      tls: { cert: material.cert, key: material.key, ca: material.ca },
      provision: async (id: string, alg?: Alg): Promise<LoadDevice> => {
        const b = await addDevice(c, {
          id,
          profile: 'vaccine-transport',
          alg,
          outDir: join(dataDir, 'bundles', id),
          actor: 'bench',
        });
        const bundle = readDeviceBundle(b.dir);
        return {
          id: bundle.info.id,
          ca: bundle.ca,
          cert: bundle.cert,
          key: bundle.key,
          secret: bundle.info.secret,
          kid: bundle.info.kid,
          alg: bundle.info.alg,
        };
      },
      destroy: async () => {
        await s.stop().catch(() => {});
        await c.close().catch(() => {});
        if (owned) removeTempDir(dataDir);
      },
    });
    return fixture;
  } catch (err) {
    await server?.stop().catch(() => {});
    await ctx?.close().catch(() => {});
    if (owned) removeTempDir(dataDir);
    throw err;
  }
}
