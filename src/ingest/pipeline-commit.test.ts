/**
 * The PUBACK promise at the transaction boundary (issue: the saved replay window ran ahead of the
 * saved readings): the replay state written with a transaction is exactly that of its own rows,
 * at any batch size, and a failed commit gives every one of its seqs back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplayWindow } from '../protocol/replay-window.ts';
import type { IngestBatch, ReplayStateRecord, Store } from '../storage/store.ts';
import { faultyStore, type StoreFault } from './faulty-store.fixture.ts';
import {
  type IngestRig,
  inbound,
  openIngestRig,
  sealFor,
  type TestDevice,
  truckSample,
} from './ingest.fixture.ts';
import type { IngestResult } from './ingest-sink.ts';

/**
 * 11 envelopes x 200 buffered samples from one temperature probe (200 samples fit in 16 KiB):
 * 2200 rows, more than one transaction takes.
 */
function backfillBurst(d: TestDevice, firstSeq: number, n = 11): Buffer[] {
  const t0 = Date.now() - 6 * 3_600_000;
  return Array.from({ length: n }, (_, e) =>
    sealFor(
      d,
      {
        samples: Array.from({ length: 200 }, (_, i) => ({
          ts: t0 + (e * 200 + i) * 1000,
          temp_c: -18 - (i % 5) / 10,
        })),
      },
      { seq: firstSeq + e },
    ),
  );
}

/** The window a stored state (or, without its fingerprints, a transaction's update) stands for. */
function windowOf(
  st: (Pick<ReplayStateRecord, 'highest' | 'bitmap'> & { nonces?: Buffer }) | undefined | null,
): ReplayWindow {
  return new ReplayWindow(
    1024,
    st ? { highest: st.highest, bitmap: st.bitmap, nonces: st.nonces ?? Buffer.alloc(0) } : undefined,
  );
}

const seqsIn = (b: IngestBatch, id: string) => [
  ...new Set([...b.readings, ...b.messages].filter((r) => r.deviceId === id).map((r) => r.seq)),
];

/** Outcome of each ingest: the result, or 'store-failed' when it threw (no PUBACK). */
async function settle(
  rig: IngestRig,
  d: TestDevice,
  payloads: Buffer[],
): Promise<(IngestResult | 'store-failed')[]> {
  return Promise.all(
    payloads.map((p) => rig.pipeline.ingest(inbound(d, p)).catch(() => 'store-failed' as const)),
  );
}

describe('replay state and rows share each transaction', () => {
  it('splits a backfill burst at maxRows and persists with each transaction only its own seqs', async () => {
    let recorder: ReturnType<typeof faultyStore> | undefined;
    const rig = await openIngestRig({}, (s: Store) => {
      recorder = faultyStore(s);
      return recorder.store;
    });
    try {
      const d = await rig.provision('probe-burst-01', 'temperature-probe');
      const results = await settle(rig, d, backfillBurst(d, 1));
      assert.ok(results.every((r) => r !== 'store-failed' && r.ok));
      const calls = recorder?.calls ?? [];
      assert.ok(calls.length >= 2, 'the burst took more than one transaction');
      assert.equal(calls[0]?.readings.length, 2000, 'the first transaction stops at maxRows');
      for (const b of calls) {
        const own = seqsIn(b, d.id);
        const st = b.replayStates.find((s) => s.deviceId === d.id);
        assert.ok(st, 'the replay state is written in the same transaction as the rows');
        const w = windowOf(st);
        for (const seq of own) assert.equal(w.check(seq, Buffer.alloc(8, 0xee)), 'VIGIL_ERR_REPLAY');
        assert.equal(st.highest, Math.max(...own), 'the saved window does not run ahead of the saved rows');
      }
      assert.equal(await rig.store.countReadings(d.id), 2200);
    } finally {
      await rig.close();
    }
  });

  it('after a crash between the two commits of a split batch, accepts the unacknowledged envelope again', async () => {
    // The "crash": the second transaction never reaches the store, and the process is gone.
    const rig = await openIngestRig({}, (s: Store) => faultyStore(s, { faults: { 2: 'busy' } }).store);
    try {
      const d = await rig.provision('probe-burst-02', 'temperature-probe');
      const burst = backfillBurst(d, 1);
      const results = await settle(rig, d, burst);
      const acked = results.flatMap((r, i) => (r !== 'store-failed' && r.ok ? [i + 1] : []));
      assert.deepEqual(acked, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      // Restart on the same database: the redelivered 11th envelope is new, not a replay.
      const after = await rig.restart();
      const again = await Promise.all(burst.map((p) => after.ingest(inbound(d, p))));
      assert.deepEqual(
        again.map((r) => (r.ok ? 'ok' : r.code)),
        [...Array(10).fill('VIGIL_ERR_REPLAY'), 'ok'],
      );
      const rows = await rig.store.queryReadings({ deviceId: d.id, since: 0, limit: 100_000 });
      assert.equal(rows.length, 2200, 'every reading exactly once');
      assert.equal(new Set(rows.map((r) => `${r.seq}/${r.idx}`)).size, 2200);
    } finally {
      await rig.close();
    }
  });
});

describe('a failed commit', () => {
  for (const fault of ['busy', 'full'] as StoreFault[]) {
    it(`(${fault === 'busy' ? 'SQLITE_BUSY' : 'disk full'}) gives back every seq of its batch; redelivery is accepted`, async () => {
      let recorder: ReturnType<typeof faultyStore> | undefined;
      let started: () => void = () => {};
      const inFlight = new Promise<void>((r) => {
        started = r;
      });
      let release: () => void = () => {};
      const held = new Promise<void>((r) => {
        release = r;
      });
      const rig = await openIngestRig({}, (s: Store) => {
        recorder = faultyStore(s, {
          faults: { 2: fault },
          hold: (call) => {
            if (call !== 2) return undefined;
            started();
            return held;
          },
        });
        return recorder.store;
      });
      try {
        const d = await rig.provision(`truck-fail-${fault}`);
        const first = sealFor(d, { samples: [truckSample()] }, { seq: 1 });
        assert.equal((await rig.pipeline.ingest(inbound(d, first))).ok, true);
        // Three messages in one transaction that fails, one more queued behind it.
        const batch = [2, 3, 4].map((seq) => sealFor(d, { samples: [truckSample()] }, { seq }));
        const failing = settle(rig, d, batch);
        await inFlight;
        const behind = rig.pipeline.ingest(inbound(d, sealFor(d, { samples: [truckSample()] }, { seq: 5 })));
        await new Promise((r) => setImmediate(r));
        release();
        assert.deepEqual(await failing, ['store-failed', 'store-failed', 'store-failed']);
        assert.equal((await behind).ok, true, 'the message queued behind the failure is stored');
        // The failed seqs were never saved as accepted, not even by the transaction after the failure.
        const saved = windowOf(await rig.store.getReplayState(d.id));
        for (const seq of [2, 3, 4])
          assert.equal(saved.check(seq, Buffer.alloc(8, 0xee)), null, `seq ${seq}`);
        assert.equal(saved.check(5, Buffer.alloc(8, 0xee)), 'VIGIL_ERR_REPLAY');
        // The device redelivers every message of the failed batch, byte for byte, in order.
        const again = await settle(rig, d, batch);
        assert.ok(
          again.every((r) => r !== 'store-failed' && r.ok),
          `redelivery accepted: ${JSON.stringify(again)}`,
        );
        const rows = await rig.store.queryReadings({ deviceId: d.id, since: 0, limit: 1000 });
        assert.deepEqual(rows.map((r) => r.seq).sort(), [1, 2, 3, 4, 5]);
        assert.ok((recorder?.calls.length ?? 0) >= 4);
      } finally {
        await rig.close();
      }
    });
  }

  it('restores the window even when the newest seq of the batch is not the one redelivered first', async () => {
    const rig = await openIngestRig({}, (s: Store) => faultyStore(s, { faults: { 1: 'busy' } }).store);
    try {
      const d = await rig.provision('truck-fail-order');
      const batch = [10, 11].map((seq) => sealFor(d, { samples: [truckSample()] }, { seq }));
      assert.deepEqual(await settle(rig, d, batch), ['store-failed', 'store-failed']);
      // seq 10 first: with a piecewise undo its nonce stayed behind as NONCE_REUSE.
      const r10 = await rig.pipeline.ingest(inbound(d, batch[0] as Buffer));
      const r11 = await rig.pipeline.ingest(inbound(d, batch[1] as Buffer));
      assert.deepEqual([r10.ok, r11.ok], [true, true]);
    } finally {
      await rig.close();
    }
  });

  it('acknowledges a redelivered copy only once its original is stored, and stores the copy when the original failed', async () => {
    // Transaction 2 holds seq 2 and fails; transaction 4 holds seq 3 and commits. A device that
    // lost its connection redelivers both while they are pending.
    const gates = new Map<number, () => void>();
    const entered = new Map<number, Promise<void>>();
    const arrived = new Map<number, () => void>();
    for (const n of [2, 4]) entered.set(n, new Promise<void>((r) => arrived.set(n, r)));
    const rig = await openIngestRig({}, (s: Store) => {
      const f = faultyStore(s, {
        faults: { 2: 'busy' },
        hold: (call) => {
          if (!gates.has(call) && !entered.has(call)) return undefined;
          arrived.get(call)?.();
          return new Promise<void>((r) => gates.set(call, r));
        },
      });
      return f.store;
    });
    try {
      const d = await rig.provision('truck-copy');
      const first = sealFor(d, { samples: [truckSample()] }, { seq: 1 });
      assert.equal((await rig.pipeline.ingest(inbound(d, first))).ok, true);
      const two = sealFor(d, { samples: [truckSample()] }, { seq: 2 });
      const three = sealFor(d, { samples: [truckSample()] }, { seq: 3 });
      const original2 = rig.pipeline.ingest(inbound(d, two)).catch(() => 'store-failed' as const);
      await entered.get(2);
      const copy2 = rig.pipeline.ingest(inbound(d, two));
      let copy2Settled = false;
      void copy2.then(
        () => {
          copy2Settled = true;
        },
        () => {
          copy2Settled = true;
        },
      );
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(copy2Settled, false, 'no answer (no PUBACK) for the copy while its original is pending');
      (gates.get(2) as () => void)();
      assert.equal(await original2, 'store-failed');
      assert.equal((await copy2).ok, true, 'the copy is judged again and stored');

      const original3 = rig.pipeline.ingest(inbound(d, three));
      await entered.get(4);
      const copy3 = rig.pipeline.ingest(inbound(d, three));
      await new Promise((r) => setTimeout(r, 20));
      (gates.get(4) as () => void)();
      assert.equal((await original3).ok, true);
      const r3 = await copy3;
      assert.deepEqual(
        [r3.ok, r3.ok ? null : r3.code],
        [false, 'VIGIL_ERR_REPLAY'],
        'a stored original: the copy is a replay',
      );
      const rows = await rig.store.queryReadings({ deviceId: d.id, since: 0, limit: 100 });
      assert.deepEqual(rows.map((r) => r.seq).sort(), [1, 2, 3], 'each once');
    } finally {
      // A failed assertion must not leave a transaction held (close waits for it).
      for (const open of gates.values()) open();
      await rig.close();
    }
  });
});
