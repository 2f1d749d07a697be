/**
 * The pipeline around its steps: what a refusal does to the seq, and that nothing but a storage
 * failure ever escapes `ingest` (a throw withholds the PUBACK and closes the device's connection).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { MasterKey } from '../keys/master-key.ts';
import type { IngestBatch, Store } from '../storage/store.ts';
import { faultyStore } from './faulty-store.fixture.ts';
import { inbound, macValidEnvelope, openIngestRig, sealFor, truckSample } from './ingest.fixture.ts';
import type { AcceptedMessage } from './pipeline.ts';

const outcome = (r: { ok: boolean; code?: string }) => (r.ok ? 'ok' : r.code);

describe('IngestPipeline', () => {
  it('stores an accepted reading and refuses its replay', async () => {
    const rig = await openIngestRig();
    try {
      const d = await rig.provision('truck-pipe-01');
      const p = sealFor(d, { samples: [truckSample()] }, { seq: 1 });
      assert.equal(outcome(await rig.pipeline.ingest(inbound(d, p))), 'ok');
      assert.equal(outcome(await rig.pipeline.ingest(inbound(d, p))), 'VIGIL_ERR_REPLAY');
      assert.equal(await rig.store.countReadings(d.id), 1);
      assert.deepEqual(rig.rejections.totals(), { replay: 1 });
      assert.deepEqual([rig.pipeline.stats.accepted, rig.pipeline.stats.rejected], [1, 1]);
    } finally {
      await rig.close();
    }
  });

  it('spends the seq of a message refused after the replay step, also across a restart', async () => {
    const rig = await openIngestRig();
    try {
      const d = await rig.provision('truck-pipe-02');
      const bad = sealFor(d, { samples: [{ ts: Date.now(), temp_c: 'warm' }] }, { seq: 5 });
      assert.equal(outcome(await rig.pipeline.ingest(inbound(d, bad))), 'VIGIL_ERR_BODY_SCHEMA');
      const after = await rig.restart();
      assert.equal(outcome(await after.ingest(inbound(d, bad))), 'VIGIL_ERR_REPLAY');
    } finally {
      await rig.close();
    }
  });

  it('turns an unexpected error after the replay step into a counted rejection that gives the seq back', async () => {
    let fail = true;
    const real = new MasterKey(Buffer.alloc(32, 7));
    const master = {
      open: real.open.bind(real),
      keyedHash: (purpose: string, value: string) => {
        if (fail) throw new TypeError('unexpected');
        return real.keyedHash(purpose, value);
      },
    } as unknown as MasterKey;
    const rig = await openIngestRig({ master });
    try {
      const d = await rig.provision('truck-pipe-03');
      const dispatch = sealFor(
        d,
        { type: 'dispatch', batch: 'LOT-1', token: 'K7P2QX9M' },
        { seq: 1, channel: 'events' },
      );
      const r = await rig.pipeline.ingest(inbound(d, dispatch, 'events'));
      assert.equal(outcome(r), 'VIGIL_ERR_INTERNAL', 'a rejection, not a storage failure');
      assert.equal(rig.rejections.totals().internal, 1);
      fail = false;
      assert.equal(
        outcome(await rig.pipeline.ingest(inbound(d, dispatch, 'events'))),
        'ok',
        'redelivery is judged again',
      );
    } finally {
      await rig.close();
    }
  });

  it('refuses events typed constructor or __proto__ as body_schema, never as a storage failure', async () => {
    const rig = await openIngestRig();
    try {
      const d = await rig.provision('truck-pipe-04');
      let seq = 0;
      for (const body of [
        '{"type":"constructor"}',
        '{"type":"__proto__"}',
        '{"type":"x","__proto__":{"a":1}}',
      ]) {
        const p = sealFor(d, body, { seq: ++seq, channel: 'events' });
        assert.equal(
          outcome(await rig.pipeline.ingest(inbound(d, p, 'events'))),
          'VIGIL_ERR_BODY_SCHEMA',
          body,
        );
      }
    } finally {
      await rig.close();
    }
  });

  it('refuses an Ascon body shorter than its tag as decrypt', async () => {
    const rig = await openIngestRig();
    try {
      const d = await rig.provision('probe-pipe-05', 'temperature-probe', 'ASCON128');
      const p = macValidEnvelope(d, {
        seq: 1,
        ts: Date.now(),
        n: Buffer.alloc(16, 1).toString('base64url'),
        b: Buffer.alloc(3).toString('base64url'),
      });
      assert.equal(outcome(await rig.pipeline.ingest(inbound(d, p))), 'VIGIL_ERR_DECRYPT');
    } finally {
      await rig.close();
    }
  });

  it('refuses a dispatch event from an alg none device and stores nothing of it', async () => {
    const rig = await openIngestRig();
    try {
      const d = await rig.provision('probe-pipe-06', 'temperature-probe', 'none');
      const p = sealFor(
        d,
        { type: 'dispatch', batch: 'LOT-1', token: 'K7P2QX9M' },
        { seq: 1, channel: 'events' },
      );
      assert.equal(outcome(await rig.pipeline.ingest(inbound(d, p, 'events'))), 'VIGIL_ERR_CLEARTEXT_SECRET');
      assert.deepEqual(await rig.store.queryMessages({ deviceId: d.id }), []);
      assert.equal(rig.rejections.totals().cleartext_secret, 1);
    } finally {
      await rig.close();
    }
  });

  it("refuses a sample ts beyond the skew although the envelope's ts is current", async () => {
    const now = 1_800_000_000_000;
    const rig = await openIngestRig({ clock: () => now });
    try {
      const d = await rig.provision('truck-pipe-07');
      const p = sealFor(d, { samples: [truckSample(now), truckSample(now + 300_001)] }, { seq: 1, ts: now });
      assert.equal(outcome(await rig.pipeline.ingest(inbound(d, p))), 'VIGIL_ERR_TS_FUTURE');
      assert.equal(await rig.store.countReadings(d.id), 0);
      const ok = sealFor(d, { samples: [truckSample(now + 300_000)] }, { seq: 2, ts: now });
      assert.equal(outcome(await rig.pipeline.ingest(inbound(d, ok))), 'ok');
    } finally {
      await rig.close();
    }
  });

  it('reports each group commit to its listeners, survives a throwing one, and honours maxRowsPerCommit', async () => {
    const rig = await openIngestRig({ maxRowsPerCommit: 1 });
    try {
      const d = await rig.provision('truck-pipe-08');
      const seen: number[] = [];
      const stop = rig.pipeline.onCommit((c) => seen.push(c.rows));
      rig.pipeline.onCommit(() => {
        throw new Error('listener bug');
      });
      const two = [1, 2].map((seq) => sealFor(d, { samples: [truckSample()] }, { seq }));
      const res = await Promise.all(two.map((p) => rig.pipeline.ingest(inbound(d, p))));
      assert.deepEqual(res.map(outcome), ['ok', 'ok']);
      assert.deepEqual(seen, [1, 1], 'one row per transaction');
      assert.deepEqual([rig.pipeline.stats.commits, rig.pipeline.stats.readings], [2, 2]);
      stop();
      await rig.pipeline.ingest(inbound(d, sealFor(d, { samples: [truckSample()] }, { seq: 3 })));
      assert.deepEqual(seen, [1, 1], 'no call after unsubscribing');
    } finally {
      await rig.close();
    }
  });

  it('audits a rejection with its device and reason, and tells the caller the device', async () => {
    const rig = await openIngestRig();
    try {
      const d = await rig.provision('truck-pipe-09');
      const p = sealFor(d, { samples: [truckSample(Date.now() + 3_600_000)] }, { seq: 1 });
      const r = await rig.pipeline.ingest({ ...inbound(d, p), address: '127.0.0.9' });
      assert.deepEqual(r, { ok: false, code: 'VIGIL_ERR_TS_FUTURE', deviceId: d.id });
      await rig.rejections.flush();
      const [a] = (await rig.store.queryAudit({ limit: 10 })).filter((x) => x.action === 'ingest.reject');
      assert.equal(a?.object, d.id);
      assert.equal(a?.detail.reason, 'ts_future');
      assert.equal(a?.detail.address, '127.0.0.9');
      assert.match(String(a?.detail.why), /^sample ts \d+ ms ahead$/);
    } finally {
      await rig.close();
    }
  });

  it('throws (no PUBACK) when the device lookup fails, and counts no rejection', async () => {
    const rig = await openIngestRig(
      {},
      (s: Store) =>
        ({
          ...s,
          writeBatch: s.writeBatch.bind(s),
          getReplayState: s.getReplayState.bind(s),
          getDeviceKey: s.getDeviceKey.bind(s),
          getDevice: async () => {
            throw new Error('database is locked');
          },
        }) as Store,
    );
    try {
      const d = await rig.provision('truck-pipe-10');
      const p = sealFor(d, { samples: [truckSample()] }, { seq: 1 });
      await assert.rejects(rig.pipeline.ingest(inbound(d, p)), (e: unknown) =>
        isVigilError(e, 'VIGIL_ERR_STORE'),
      );
      assert.deepEqual(rig.rejections.totals(), {});
    } finally {
      await rig.close();
    }
  });

  it('stores the delivery token as the keyed hash the delivery check computes', async () => {
    const rig = await openIngestRig();
    try {
      const d = await rig.provision('truck-pipe-11');
      const p = sealFor(
        d,
        { type: 'dispatch', batch: 'LOT-1', token: 'K7P2QX9M' },
        { seq: 1, channel: 'events' },
      );
      assert.equal(outcome(await rig.pipeline.ingest(inbound(d, p, 'events'))), 'ok');
      const [m] = await rig.store.queryMessages({ deviceId: d.id });
      assert.equal(m?.body.token_hash, rig.master.keyedHash('delivery-token', 'K7P2QX9M'));
      assert.equal(JSON.stringify(m?.body).includes('K7P2QX9M'), false);
    } finally {
      await rig.close();
    }
  });

  it('acknowledges nothing while storage is not writable (full volume), then takes the redelivery', async () => {
    let writable = false;
    const failures: unknown[] = [];
    const rig = await openIngestRig({
      writable: () => writable,
      onStoreFailure: (err) => failures.push(err),
    });
    try {
      const d = await rig.provision('truck-pipe-13');
      const p = sealFor(d, { samples: [truckSample()] }, { seq: 1 });
      await assert.rejects(rig.pipeline.ingest(inbound(d, p)), (e) => isVigilError(e, 'VIGIL_ERR_STORE'));
      assert.equal(failures.length, 1);
      assert.ok(isVigilError(failures[0], 'VIGIL_ERR_DISK_FULL'), 'the failure says the volume is full');
      assert.equal(await rig.store.countReadings(d.id), 0);
      // A refusal that spends its seq is not written either: no PUBACK for it while full.
      const bad = sealFor(d, { samples: [{ ts: Date.now(), temp_c: 'warm' }] }, { seq: 2 });
      await assert.rejects(rig.pipeline.ingest(inbound(d, bad)), (e) => isVigilError(e, 'VIGIL_ERR_STORE'));
      // Space is back: the device's redelivery of the same envelope is accepted, not a replay.
      writable = true;
      assert.equal(outcome(await rig.pipeline.ingest(inbound(d, p))), 'ok');
      assert.equal(outcome(await rig.pipeline.ingest(inbound(d, bad))), 'VIGIL_ERR_BODY_SCHEMA');
      assert.equal(await rig.store.countReadings(d.id), 1);
      assert.equal(failures.length, 2);
    } finally {
      await rig.close();
    }
  });

  it('close() waits until every accepted message is committed', async () => {
    const rig = await openIngestRig();
    try {
      const d = await rig.provision('truck-pipe-12');
      const pending = rig.pipeline.ingest(inbound(d, sealFor(d, { samples: [truckSample()] }, { seq: 1 })));
      await new Promise((r) => setImmediate(r));
      await rig.pipeline.close();
      assert.equal(await rig.store.countReadings(d.id), 1);
      assert.equal(outcome(await pending), 'ok');
    } finally {
      await rig.close();
    }
  });

  it('refuses as a replay a seq the store says another worker committed first, and writes none of it', async () => {
    // A store shared by several ingest workers refuses, under the device's row lock, a seq that
    // another worker stored (postgres-ingest.ts); this one answers so for every seq.
    const refusing = (s: Store) =>
      new Proxy(s, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver);
          if (prop !== 'writeBatch') return typeof v === 'function' ? v.bind(target) : v;
          return async (b: IngestBatch) => {
            const refused = b.replayStates.length
              ? [{ deviceId: 'truck-pipe-11', seq: 4, code: 'VIGIL_ERR_REPLAY' as const }]
              : [];
            const res = await target.writeBatch({ ...b, readings: [] });
            return { ...res, refused };
          };
        },
      });
    const rig = await openIngestRig({}, refusing);
    try {
      const d = await rig.provision('truck-pipe-11');
      const r = await rig.pipeline.ingest(inbound(d, sealFor(d, { samples: [truckSample()] }, { seq: 4 })));
      assert.deepEqual(r, { ok: false, code: 'VIGIL_ERR_REPLAY', deviceId: d.id });
      assert.deepEqual([rig.pipeline.stats.accepted, rig.pipeline.stats.rejected], [0, 1]);
      await rig.rejections.flush();
      const [a] = (await rig.store.queryAudit({ action: 'ingest.reject' })).filter((x) => x.object === d.id);
      assert.equal(a?.detail.why, 'seq 4 committed by another worker');
    } finally {
      await rig.close();
    }
  });

  it('tells onAccepted what was stored: device, channel, seq, kid and rows', async () => {
    const seen: AcceptedMessage[] = [];
    const rig = await openIngestRig({ onAccepted: (ev) => seen.push(ev) });
    try {
      const d = await rig.provision('truck-pipe-12');
      const s = truckSample();
      await rig.pipeline.ingest(inbound(d, sealFor(d, { samples: [s] }, { seq: 2 })));
      assert.equal(seen.length, 1);
      const { deviceId, channel, seq, kid, readings, messages } = seen[0] as AcceptedMessage;
      assert.deepEqual(
        [deviceId, channel, seq, kid, readings.length, messages],
        [d.id, 'telemetry', 2, 1, 1, []],
      );
      assert.equal(readings[0]?.ts, s.ts);
    } finally {
      await rig.close();
    }
  });

  it('throws a storage failure carrying the store error when a commit fails, also without onStoreFailure', async () => {
    const rig = await openIngestRig({}, (s) => faultyStore(s, { faults: { 1: 'busy' } }).store);
    try {
      const d = await rig.provision('truck-pipe-13');
      await assert.rejects(
        rig.pipeline.ingest(inbound(d, sealFor(d, { samples: [truckSample()] }, { seq: 1 }))),
        (e: unknown) =>
          isVigilError(e, 'VIGIL_ERR_STORE') &&
          e.detail === 'write failed' &&
          (e.cause as { code?: string } | undefined)?.code === 'SQLITE_BUSY',
      );
    } finally {
      await rig.close();
    }
  });

  it('counts an unexpected error before the replay step as internal, and keeps serving', async () => {
    const rig = await openIngestRig({
      gatewayOf: () => {
        throw new TypeError('gateway table not ready');
      },
    });
    try {
      const d = await rig.provision('truck-pipe-14');
      const p = sealFor(d, { samples: [truckSample()] }, { seq: 1 });
      // Published by someone else: the gateway binding is asked, and fails.
      const r = await rig.pipeline.ingest({ ...inbound(d, p), publisher: 'gw-0001' });
      assert.equal(outcome(r), 'VIGIL_ERR_INTERNAL');
      assert.equal(outcome(await rig.pipeline.ingest(inbound(d, p))), 'ok', 'the seq was never taken');
    } finally {
      await rig.close();
    }
  });
});
