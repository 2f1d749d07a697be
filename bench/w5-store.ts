import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ReplayWindow } from '../src/protocol/replay-window.ts';
import { SqliteStore } from '../src/storage/adapters/sqlite-store.ts';
import type { IngestBatch, ReadingRecord } from '../src/storage/store.ts';
import { sampleDevice } from '../src/storage/store-records.fixture.ts';
import { nowMs } from './clock.ts';
import { PlainSqliteStore } from './plain-sqlite-store.ts';
import { median, summarize } from './stats.ts';
import { makeTempDir, removeTempDir } from './temp-dirs.ts';

export interface W5Options {
  devices: number;
  readingsPerBatch: number;
  maxReadings: number;
  maxMs: number;
  rounds: number;
  /** Include the per-device replay snapshot and last-seen update in every batch (as the pipeline does). */
  withReplayState: boolean;
}

export interface W5Run {
  store: 'encrypted' | 'plain';
  synchronous: 'FULL' | 'NORMAL';
  readings: number;
  batches: number;
  ms: number;
  rate: number;
  commitMsP50: number;
  commitMsP99: number;
  commitMsMax: number;
}

export interface W5Pair {
  synchronous: 'FULL' | 'NORMAL';
  encryptedRate: number;
  plainRate: number;
  ratio: number;
  runs: W5Run[];
}

const REPLAY_WINDOW = 1024;

/**
 * Batches as the pipeline's BatchWriter builds them: readings of several devices interleaved, one
 * row per telemetry message, plus per device in the batch its replay-state update (window
 * high-water mark and 128-byte bitmap, and the nonce fingerprints of this batch's seqs) and its
 * last-seen time.
 */
export function* ingestBatches(
  deviceIds: string[],
  perBatch: number,
  withReplay: boolean,
): Generator<IngestBatch> {
  const windows = deviceIds.map(() => new ReplayWindow(REPLAY_WINDOW));
  const seq = deviceIds.map(() => 0);
  for (;;) {
    const readings: ReadingRecord[] = [];
    const added: Buffer[][] = deviceIds.map(() => []);
    const now = Date.now();
    for (let k = 0; k < perBatch; k++) {
      const d = k % deviceIds.length;
      const s = seq[d]!++;
      const fp = randomBytes(8);
      windows[d]!.accept(s, fp);
      added[d]!.push(fp);
      readings.push({
        deviceId: deviceIds[d]!,
        seq: s,
        idx: 0,
        ts: now - 5,
        receivedAt: now,
        backfill: false,
        data: {
          temp_c: 4.6,
          rh_pct: 51.2,
          lat: 52.37,
          lon: 4.89,
          bat_pct: 88,
          power: 'mains',
          rssi_dbm: -71,
        },
      });
    }
    yield {
      readings,
      messages: [],
      replayStates: withReplay
        ? deviceIds.map((id, d) => {
            const { highest, bitmap } = windows[d]!.state();
            return { deviceId: id, highest, bitmap, nonces: Buffer.concat(added[d]!), updatedAt: now };
          })
        : [],
      lastSeen: withReplay ? deviceIds.map((id) => ({ deviceId: id, at: now })) : [],
    };
  }
}

async function runOnce(
  kind: 'encrypted' | 'plain',
  synchronous: 'FULL' | 'NORMAL',
  o: W5Options,
): Promise<W5Run> {
  const dir = makeTempDir('vigil-bench-w5-');
  try {
    const path = join(dir, `${kind}.db`);
    const ids = Array.from({ length: o.devices }, (_, i) => `bench-w5-dev-${i}`);
    let write: (b: IngestBatch) => Promise<unknown> | unknown;
    let close: () => Promise<void> | void;
    if (kind === 'encrypted') {
      const store = SqliteStore.open({ path, key: randomBytes(32), auditKey: randomBytes(32), synchronous });
      await store.migrate();
      for (const id of ids) {
        await store.addDevice(sampleDevice(id), {
          deviceId: id,
          kid: 1,
          secretEnc: randomBytes(60),
          createdAt: Date.now(),
          status: 'active',
        });
      }
      write = (b) => store.writeBatch(b);
      close = () => store.close();
    } else {
      const store = new PlainSqliteStore(path, synchronous);
      for (const id of ids) store.addDevice(sampleDevice(id));
      write = (b) => store.writeBatch(b);
      close = () => store.close();
    }
    try {
      // All batches are built before timing (building includes the replay snapshots).
      const gen = ingestBatches(ids, o.readingsPerBatch, o.withReplayState);
      // Warm-up: a few commits (page cache, statement cache, WAL file), not timed.
      for (let i = 0; i < 3; i++) await write(gen.next().value as IngestBatch);
      const pre: IngestBatch[] = [];
      const nBatches = Math.ceil(o.maxReadings / o.readingsPerBatch);
      for (let i = 0; i < nBatches; i++) pre.push(gen.next().value as IngestBatch);
      const commitMs: number[] = [];
      let readings = 0;
      const t0 = nowMs();
      for (const b of pre) {
        const tc = nowMs();
        await write(b);
        commitMs.push(nowMs() - tc);
        readings += b.readings.length;
        if (nowMs() - t0 >= o.maxMs) break;
      }
      const ms = nowMs() - t0;
      const s = summarize(commitMs);
      return {
        store: kind,
        synchronous,
        readings,
        batches: commitMs.length,
        ms,
        rate: (readings / ms) * 1000,
        commitMsP50: s.p50,
        commitMsP99: s.p99,
        commitMsMax: s.max,
      };
    } finally {
      await close();
    }
  } finally {
    removeTempDir(dir);
  }
}

/**
 * W5: readings/s written through SqliteStore.writeBatch (SQLCipher-encrypted, WAL) against the
 * same statements on an unencrypted database, for synchronous FULL (the target) and NORMAL
 * (information). Each run gets a fresh database; encrypted and plain alternate within a round.
 */
export async function runW5(o: W5Options, log: (s: string) => void): Promise<W5Pair[]> {
  const out: W5Pair[] = [];
  for (const synchronous of ['FULL', 'NORMAL'] as const) {
    const runs: W5Run[] = [];
    for (let i = 0; i < o.rounds; i++) {
      for (const kind of ['encrypted', 'plain'] as const) {
        const r = await runOnce(kind, synchronous, o);
        log(
          `  W5 ${synchronous.padEnd(6)} ${kind.padEnd(9)} round ${i + 1}/${o.rounds}: ` +
            `${r.rate.toFixed(0)} readings/s (${r.batches} commits, p99 ${r.commitMsP99.toFixed(2)} ms)`,
        );
        runs.push(r);
      }
    }
    const encryptedRate = median(runs.filter((r) => r.store === 'encrypted').map((r) => r.rate));
    const plainRate = median(runs.filter((r) => r.store === 'plain').map((r) => r.rate));
    out.push({ synchronous, encryptedRate, plainRate, ratio: encryptedRate / plainRate, runs });
  }
  return out;
}
