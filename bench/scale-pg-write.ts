/**
 * The PostgreSQL write rate: readings/s the PostgreSQL Store adapter commits, batches built as the
 * pipeline builds them (W5's generator: 200 readings of 4 devices, their replay snapshots and
 * last-seen times per commit), with 1 and with 2 writers committing at once (two ingest workers).
 * Column encryption is part of the cost, as in production.
 */
import { randomBytes } from 'node:crypto';
import { MasterKey } from '../src/keys/master-key.ts';
import { openPostgresAdapters } from '../src/storage/adapters/postgres-adapters.ts';
import type { PgServer } from '../src/storage/adapters/postgres-server.fixture.ts';
import type { IngestBatch } from '../src/storage/store.ts';
import { sampleDevice } from '../src/storage/store-records.fixture.ts';
import { nowMs } from './clock.ts';
import { summarize } from './stats.ts';
import { ingestBatches } from './w5-store.ts';

export interface PgWriteRun {
  writers: number;
  readings: number;
  ms: number;
  rate: number;
  commitMsP50: number;
  commitMsP99: number;
  /** Disk per stored reading: every readings partition with its indexes and TOAST, over the rows. */
  bytesPerReading: number;
}

export interface PgWriteOptions {
  readingsPerBatch: number;
  /** Count and time bounds of each run. */
  maxReadings: number;
  maxMs: number;
}

export async function runPgWrite(pg: PgServer, writers: number, o: PgWriteOptions): Promise<PgWriteRun> {
  const db = `bench_write_${writers}`;
  await pg.query(`CREATE DATABASE ${db}`);
  const adapters = await openPostgresAdapters({
    url: pg.url(db),
    master: new MasterKey(randomBytes(32)),
    poolSize: writers + 1,
    retryForMs: 0,
  });
  const store = adapters.store;
  try {
    // Each writer its own devices (as shared-subscription workers mostly see different devices).
    const gens: Generator<IngestBatch>[] = [];
    for (let w = 0; w < writers; w++) {
      const ids = Array.from({ length: 4 }, (_, i) => `bench-pg-${w}-${i}`);
      for (const id of ids) {
        await store.addDevice(sampleDevice(id), {
          deviceId: id,
          kid: 1,
          secretEnc: randomBytes(60),
          createdAt: Date.now(),
          status: 'active',
        });
      }
      gens.push(ingestBatches(ids, o.readingsPerBatch, true));
    }
    for (const g of gens) await store.writeBatch(g.next().value as IngestBatch);
    const perWriter = Math.ceil(o.maxReadings / o.readingsPerBatch / writers);
    const pre = gens.map((g) => Array.from({ length: perWriter }, () => g.next().value as IngestBatch));
    const commitMs: number[] = [];
    let readings = 0;
    const t0 = nowMs();
    await Promise.all(
      pre.map(async (list) => {
        for (const b of list) {
          const tc = nowMs();
          await store.writeBatch(b);
          commitMs.push(nowMs() - tc);
          readings += b.readings.length;
          if (nowMs() - t0 >= o.maxMs) break;
        }
      }),
    );
    const ms = nowMs() - t0;
    const s = summarize(commitMs);
    await pg.query('CHECKPOINT', db);
    const size = await pg.query<{ bytes: string; n: string }>(
      `SELECT (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits
                WHERE inhparent = 'readings'::regclass) AS bytes,
              (SELECT count(*) FROM readings) AS n`,
      db,
    );
    return {
      writers,
      readings,
      ms,
      rate: (readings * 1000) / ms,
      commitMsP50: s.p50,
      commitMsP99: s.p99,
      bytesPerReading: Number(size[0]?.bytes) / Number(size[0]?.n),
    };
  } finally {
    await store.close();
  }
}
