import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import pino from 'pino';
import { freshSqlite } from '../storage/adapters/sqlite.fixture.ts';
import type { SqliteAdapters } from '../storage/adapters/sqlite-adapters.ts';
import { sampleBatch, sampleDevice, sampleKey, sampleReading } from '../storage/store-records.fixture.ts';
import { type Sink, SinkError } from './sink.ts';
import type { OutboxReading } from './sink-outbox.ts';
import { SinkRunner } from './sink-runner.ts';

const logger = pino({ level: 'silent' });
const fresh = freshSqlite('sink-runner');
let db: SqliteAdapters;
const runners: SinkRunner[] = [];

beforeEach(async () => {
  db = fresh();
  await db.store.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
});
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop();
  await db.store.close();
});

async function store(from: number, to: number): Promise<void> {
  const readings = [];
  for (let seq = from; seq <= to; seq++) readings.push(sampleReading('truck-0001', seq));
  await db.store.writeBatch(sampleBatch({ readings }));
}

/** A sink whose behaviour per call the test scripts; it records what it was given. */
function scriptedSink(
  name: string,
  behave: (batch: readonly OutboxReading[], call: number, signal: AbortSignal) => Promise<void>,
  over: Partial<Sink> = {},
): Sink & { calls: { seqs: number[]; at: number }[] } {
  const calls: { seqs: number[]; at: number }[] = [];
  return {
    name,
    kind: 'webhook',
    target: 'https://127.0.0.1/x',
    batchSize: 3,
    minIntervalMs: 0,
    devices: null,
    calls,
    deliver: async (batch, signal) => {
      calls.push({ seqs: batch.map((r) => r.seq), at: Date.now() });
      await behave(batch, calls.length, signal);
    },
    ...over,
  };
}

function run(sink: Sink, over: { retryMaxMs?: number; timeoutMs?: number } = {}): SinkRunner {
  const r = new SinkRunner({
    sink,
    outbox: db.sinkOutbox,
    clock: Date.now,
    random: () => 0.5,
    logger,
    timeoutMs: over.timeoutMs ?? 5000,
    retryMaxMs: over.retryMaxMs ?? 1000,
  });
  runners.push(r);
  r.start();
  return r;
}

async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

const target = (name: string) => ({ name, capacity: 1000, devices: null });

describe('SinkRunner', () => {
  it('delivers the outbox in batches, oldest first, and removes what was delivered', async () => {
    await db.sinkOutbox.setTargets([target('a')]);
    await store(1, 7);
    const sink = scriptedSink('a', async () => {});
    const r = run(sink);
    await until('all delivered', async () => (await db.sinkOutbox.depth('a')).pending === 0);
    assert.deepEqual(
      sink.calls.map((c) => c.seqs),
      [[1, 2, 3], [4, 5, 6], [7]],
    );
    const s = await r.status();
    assert.equal(s.state, 'ok');
    assert.equal(s.delivered, 7);
    assert.equal(s.failures, 0);
  });

  it('keeps a batch its target could not take and retries it with backoff until it goes through', async () => {
    await db.sinkOutbox.setTargets([target('a')]);
    await store(1, 2);
    const sink = scriptedSink('a', async (_b, call) => {
      if (call <= 2) throw new SinkError('VIGIL_ERR_SINK_UNAVAILABLE', 'connect ECONNREFUSED 127.0.0.1:8086');
    });
    const r = run(sink, { retryMaxMs: 10_000 });
    await until('a failure', async () => (await r.status()).failures >= 1);
    const failing = await r.status();
    assert.equal(failing.state, 'failing');
    assert.ok(failing.failingSince !== null);
    assert.match(failing.lastError ?? '', /VIGIL_ERR_SINK_UNAVAILABLE: .*ECONNREFUSED/);
    assert.equal(failing.outbox.pending, 2, 'nothing is lost while the target is down');
    await until('recovered', async () => (await r.status()).state === 'ok');
    const s = await r.status();
    assert.deepEqual(
      sink.calls.map((c) => c.seqs),
      [
        [1, 2],
        [1, 2],
        [1, 2],
      ],
      'the same batch, again',
    );
    assert.equal(s.failures, 2);
    assert.equal(s.failingSince, null);
    assert.equal(s.outbox.pending, 0);
    // Backoff: the second retry waits longer than the first (1 s, then 2 s ceilings, jitter 0.5).
    const [c1, c2, c3] = sink.calls;
    assert.ok(c1 && c2 && c3);
    assert.ok(c2.at - c1.at >= 450, `first retry after ${c2.at - c1.at} ms`);
    assert.ok(c3.at - c2.at >= 950, `second retry after ${c3.at - c2.at} ms`);
  });

  it('drops a batch the target refuses for good, counts it, and goes on with the next', async () => {
    await db.sinkOutbox.setTargets([target('a')]);
    await store(1, 5);
    const sink = scriptedSink('a', async (_b, call) => {
      if (call === 1)
        throw new SinkError('VIGIL_ERR_SINK_REFUSED', 'InfluxDB answered 400: field type conflict');
    });
    const r = run(sink);
    await until('drained', async () => (await db.sinkOutbox.depth('a')).pending === 0);
    const s = await r.status();
    assert.equal(s.refused, 3);
    assert.equal(s.delivered, 2);
    assert.deepEqual(
      sink.calls.map((c) => c.seqs),
      [
        [1, 2, 3],
        [4, 5],
      ],
    );
  });

  it('aborts a delivery that outlasts the timeout and retries it', async () => {
    await db.sinkOutbox.setTargets([target('a')]);
    await store(1, 1);
    const sink = scriptedSink('a', (_b, call, signal) =>
      call === 1
        ? new Promise((_resolve, reject) =>
            signal.addEventListener('abort', () =>
              reject(new SinkError('VIGIL_ERR_SINK_UNAVAILABLE', 'timeout')),
            ),
          )
        : Promise.resolve(),
    );
    const r = run(sink, { timeoutMs: 1000 });
    await until('delivered after the hung attempt', async () => (await r.status()).delivered === 1);
    assert.equal((await r.status()).failures, 1);
  });

  it('a hung sink delays neither ingest nor another sink', async () => {
    await db.sinkOutbox.setTargets([target('hung'), target('fine')]);
    const hung = scriptedSink(
      'hung',
      (_b, _c, signal) =>
        new Promise((_r, reject) =>
          signal.addEventListener('abort', () =>
            reject(new SinkError('VIGIL_ERR_SINK_UNAVAILABLE', 'aborted')),
          ),
        ),
    );
    const fine = scriptedSink('fine', async () => {});
    const rh = run(hung, { timeoutMs: 60_000 });
    run(fine);
    await store(1, 3);
    await until('hung sink called', () => hung.calls.length === 1);
    // Ingest goes on while the hung delivery is in flight ...
    await store(4, 9);
    assert.equal(await db.store.countReadings(), 9);
    // ... and so does the other sink.
    await until('fine sink drained', async () => (await db.sinkOutbox.depth('fine')).pending === 0);
    assert.deepEqual(
      fine.calls.flatMap((c) => c.seqs),
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.equal((await db.sinkOutbox.depth('hung')).pending, 9, 'the hung sink keeps its readings queued');
    await rh.stop();
    assert.equal((await db.sinkOutbox.depth('hung')).pending, 9, 'stopping keeps them for the next start');
  });

  it('keeps the target rate limit between requests', async () => {
    await db.sinkOutbox.setTargets([target('a')]);
    await store(1, 7);
    const sink = scriptedSink('a', async () => {}, { minIntervalMs: 400 });
    run(sink);
    await until('all delivered', async () => (await db.sinkOutbox.depth('a')).pending === 0);
    assert.equal(sink.calls.length, 3);
    for (let i = 1; i < sink.calls.length; i++) {
      const gap = (sink.calls[i]?.at ?? 0) - (sink.calls[i - 1]?.at ?? 0);
      assert.ok(gap >= 395, `request ${i} came ${gap} ms after the one before`);
    }
  });
});
