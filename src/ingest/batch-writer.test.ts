import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IngestBatch, ReplayStateUpdate } from '../storage/store.ts';
import { sampleMessage, sampleReading } from '../storage/store-records.fixture.ts';
import { BatchWriter, type PendingWrite } from './batch-writer.ts';
import type { ReplayLedger, ReplayMark } from './replay-guard.ts';

function item(deviceId: string, seq: number, rows = 1, messages = 0): PendingWrite {
  const mark: ReplayMark = { deviceId, seq, nonceFp: Buffer.alloc(8, seq) };
  return {
    mark,
    readings: Array.from({ length: rows }, (_, i) => sampleReading(deviceId, seq, i)),
    messages: Array.from({ length: messages }, () => sampleMessage(deviceId, seq)),
    seenAt: seq,
  };
}

/** A ledger that records what happened, and a store that fails the calls listed in `fail`. */
function rig(fail: number[] = [], hold?: () => Promise<void>) {
  const events: string[] = [];
  const commits: { rows: number; items: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const batches: IngestBatch[] = [];
  const ledger: ReplayLedger = {
    prepare: (marks) => {
      events.push(`prepare ${marks.map((m) => m.seq).join(',')}`);
      const byDevice = new Map<string, number>();
      for (const m of marks) byDevice.set(m.deviceId, Math.max(byDevice.get(m.deviceId) ?? -1, m.seq));
      return [...byDevice].map(
        ([deviceId, highest]): ReplayStateUpdate => ({
          deviceId,
          highest,
          bitmap: Buffer.alloc(0),
          nonces: Buffer.alloc(0),
          updatedAt: 0,
        }),
      );
    },
    committed: (marks) => events.push(`committed ${marks.map((m) => m.seq).join(',')}`),
    aborted: (marks) => events.push(`aborted ${marks.map((m) => m.seq).join(',')}`),
  };
  const store = {
    writeBatch: async (b: IngestBatch) => {
      batches.push(b);
      events.push(`write ${batches.length}`);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await hold?.();
      inFlight--;
      if (fail.includes(batches.length)) throw new Error('SQLITE_BUSY');
      return { readingsInserted: b.readings.length, messagesInserted: 0 };
    },
  };
  const writer = new BatchWriter({
    store,
    ledger,
    maxRows: 10,
    onCommit: (c) => commits.push({ rows: c.rows, items: c.items }),
  });
  return { events, batches, commits, writer, maxInFlight: () => maxInFlight };
}

describe('BatchWriter', () => {
  it('resolves each write with the store’s refusal of its seq (another worker committed it), else null', async () => {
    const ledger: ReplayLedger = { prepare: () => [], committed: () => {}, aborted: () => {} };
    const store = {
      writeBatch: async () => ({
        readingsInserted: 1,
        messagesInserted: 0,
        refused: [{ deviceId: 'a-001', seq: 2, code: 'VIGIL_ERR_REPLAY' as const }],
      }),
    };
    const writer = new BatchWriter({ store, ledger });
    const out = await Promise.all([writer.write(item('a-001', 1)), writer.write(item('a-001', 2))]);
    assert.deepEqual(out, [null, 'VIGIL_ERR_REPLAY']);
  });

  it('writes rows and their replay state in one writeBatch call, and resolves only after it', async () => {
    const { batches, writer } = rig();
    await Promise.all([writer.write(item('a-001', 1)), writer.write(item('b-001', 7))]);
    assert.equal(batches.length, 1);
    assert.deepEqual(
      batches[0]?.replayStates.map((s) => [s.deviceId, s.highest]),
      [
        ['a-001', 1],
        ['b-001', 7],
      ],
    );
    assert.deepEqual(batches[0]?.lastSeen, [
      { deviceId: 'a-001', at: 1 },
      { deviceId: 'b-001', at: 7 },
    ]);
  });

  it('never puts more than maxRows rows in a transaction, and keeps queue order', async () => {
    const { batches, writer } = rig();
    await Promise.all([1, 2, 3, 4].map((s) => writer.write(item('a-001', s, 4))));
    assert.deepEqual(
      batches.map((b) => b.readings.length),
      [8, 8],
    );
    assert.deepEqual(
      batches.map((b) => b.replayStates[0]?.highest),
      [2, 4],
    );
    const { batches: big, writer: w2 } = rig();
    await w2.write(item('a-001', 1, 25));
    assert.equal(big[0]?.readings.length, 25, 'a single larger message still goes, alone');
  });

  it('on failure, tells the ledger before the next transaction is built, and rejects only its writes', async () => {
    const { events, writer } = rig([1]);
    const first = [1, 2].map((s) => writer.write(item('a-001', s, 5)));
    const later = writer.write(item('a-001', 3, 5));
    const results = await Promise.allSettled([...first, later]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(events, [
      'prepare 1,2',
      'write 1',
      'aborted 1,2',
      'prepare 3',
      'write 2',
      'committed 3',
    ]);
  });

  it('counts messages as rows too, passes every row on unchanged, and reports each commit', async () => {
    const { batches, commits, writer } = rig();
    const items = [item('a-001', 1, 3, 1), item('a-001', 2, 0, 5), item('a-001', 3, 2, 1)];
    await Promise.all(items.map((i) => writer.write(i)));
    assert.deepEqual(
      batches.map((b) => [b.readings.length, b.messages.length]),
      [
        [3, 6],
        [2, 1],
      ],
    );
    assert.deepEqual(batches[0]?.readings, [...(items[0]?.readings ?? [])]);
    assert.deepEqual(batches[0]?.messages, [...(items[0]?.messages ?? []), ...(items[1]?.messages ?? [])]);
    assert.deepEqual(commits, [
      { rows: 9, items: 2 },
      { rows: 3, items: 1 },
    ]);
  });

  it('never runs two transactions at once', async () => {
    let release: () => void = () => {};
    const gate = () =>
      new Promise<void>((r) => {
        release = r;
      });
    const { batches, writer, maxInFlight } = rig([], gate);
    /** Lets the event loop turn until `done` (at most 200 turns, so a broken writer fails fast). */
    const turnsUntil = async (done: () => boolean) => {
      for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setImmediate(r));
    };
    const first = writer.write(item('a-001', 1));
    await turnsUntil(() => batches.length > 0);
    assert.equal(batches.length, 1, 'the first transaction started');
    const later = [2, 3].map((s) => writer.write(item('a-001', s)));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(batches.length, 1, 'the next transaction waits for the one in flight');
    release();
    await first;
    await turnsUntil(() => batches.length >= 2);
    assert.equal(batches.length, 2, 'the next transaction started once the first ended');
    release();
    await Promise.all(later);
    assert.equal(maxInFlight(), 1);
    assert.deepEqual(
      batches.map((b) => b.readings.length),
      [1, 2],
    );
  });

  it('close() waits for everything queued and refuses new writes', async () => {
    const { batches, commits, writer } = rig();
    const p = writer.write(item('a-001', 1));
    await writer.close();
    assert.equal(batches.length, 1, 'committed before close() resolved');
    assert.equal(commits.length, 1, 'the transaction ended before close() resolved');
    await p;
    await assert.rejects(writer.write(item('a-001', 2)), /closed/);
  });

  it('gives the seq of a write after close() back to the ledger', async () => {
    const { events, writer } = rig();
    await writer.close();
    await assert.rejects(writer.write(item('a-001', 7)), /closed/);
    assert.deepEqual(events, ['aborted 7']);
  });

  it('close() waits for a transaction in flight to end', async () => {
    let started = () => {};
    const inFlight = new Promise<void>((r) => {
      started = r;
    });
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const { commits, writer } = rig([], () => {
      started();
      return held;
    });
    const p = writer.write(item('a-001', 1));
    let closed = false;
    const closing = writer.close().then(() => {
      closed = true;
    });
    await inFlight;
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(closed, false, 'still committing');
    release();
    await closing;
    assert.equal(commits.length, 1);
    await p;
  });

  it('reports how long each transaction took, measured around it', async () => {
    const times: number[] = [];
    const writer = new BatchWriter({
      store: { writeBatch: async (b) => ({ readingsInserted: b.readings.length, messagesInserted: 0 }) },
      ledger: { prepare: () => [], committed: () => {}, aborted: () => {} },
      onCommit: (c) => times.push(c.ms),
    });
    const before = performance.now();
    await writer.write(item('a-001', 1));
    const elapsed = performance.now() - before;
    assert.equal(times.length, 1);
    assert.ok((times[0] ?? -1) >= 0 && (times[0] ?? Infinity) <= elapsed, `${times[0]} of ${elapsed}`);
  });

  it('two writes in one tick and a third during their commit still make one transaction at a time', async () => {
    let release: () => void = () => {};
    const { batches, writer, maxInFlight } = rig(
      [],
      () =>
        new Promise<void>((r) => {
          release = r;
        }),
    );
    const firstTwo = [writer.write(item('a-001', 1)), writer.write(item('a-001', 2))];
    for (let i = 0; i < 200 && batches.length === 0; i++) await new Promise((r) => setImmediate(r));
    const third = writer.write(item('a-001', 3));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(batches.length, 1, 'the third waits for the transaction in flight');
    release();
    await Promise.all(firstTwo);
    for (let i = 0; i < 200 && batches.length < 2; i++) await new Promise((r) => setImmediate(r));
    release();
    await third;
    assert.equal(maxInFlight(), 1);
  });
});
