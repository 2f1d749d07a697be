/**
 * Devices ride out a server outage (docs/protocol.md §8): 12 simulated devices publish, the
 * server stops for 60 s and starts again on the same port. The devices keep every sample in their
 * on-disk outbox, reconnect with backoff, and deliver the backlog. Afterwards each device's seqs
 * are contiguous in the store (readings and events together), every recorded sample is stored
 * exactly once (0 lost, 0 duplicated), and what was recorded during the outage is marked backfill.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type SimFleet, startSimFleet } from '../src/sim/runner.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';

const OUTAGE_MS = 60_000;
const BACKFILL_AFTER_MS = 1000;

let inst: Instance;
let fleet: SimFleet | undefined;

before(async () => {
  inst = await startInstance({ ingest: { backfillAfterMs: BACKFILL_AFTER_MS } }, undefined, {
    webRoot: '/nonexistent-vigil-web',
    alarmService: { anomaly: false },
  });
});

after(async () => {
  await fleet?.stop();
  await inst?.destroy();
});

describe('a 60 s server outage with 12 devices publishing', () => {
  it('loses nothing, duplicates nothing, keeps seqs contiguous and marks the backlog as backfill', async () => {
    const connects: { id: string; downMs: number | null }[] = [];
    fleet = await startSimFleet(inst.ctx, {
      profile: 'temperature-probe',
      devices: 12,
      rate: 2,
      brokerUrl: inst.url,
      seed: 'outage',
      reconnect: { baseMs: 500, capMs: 4000 },
      onConnect: (id, _b, downMs) => connects.push({ id, downMs }),
    });
    const f = fleet;
    await waitFor('fleet publishing', async () => (await inst.ctx.store.countReadings()) >= 12 * 6, 20_000);

    await inst.stop();
    const stoppedAt = Date.now();
    await waitFor('every device notices', () => f.totals().connected === 0, 10_000);
    await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - stoppedAt)));
    const buffered = f.totals().buffered;
    assert.ok(buffered >= 12 * 100, `the outboxes held the outage's samples (${buffered})`);
    const restartAt = Date.now();
    await inst.restart();
    await waitFor('every device back', () => f.totals().connected === 12, 30_000);
    await new Promise((r) => setTimeout(r, 2000));
    await f.stop({ drainMs: 30_000 });
    const t = f.totals();
    assert.equal(t.buffered, 0, 'every outbox drained');
    assert.equal(t.dropped, 0);

    let backlog = 0;
    for (const d of f.devices) {
      const readings = await inst.ctx.store.queryReadings({ deviceId: d.id, limit: 100_000 });
      const events = await inst.ctx.store.queryMessages({ deviceId: d.id, limit: 100_000 });
      // 0 lost, 0 duplicated: every recorded sample once (each sample has its own ts).
      assert.equal(
        readings.length,
        d.stats.recorded,
        `${d.id}: stored ${readings.length} of ${d.stats.recorded}`,
      );
      assert.equal(new Set(readings.map((r) => r.ts)).size, readings.length, `${d.id}: duplicated sample`);
      // Contiguous seqs: readings and events share the uplink counter.
      const seqs = [...new Set([...readings.map((r) => r.seq), ...events.map((m) => m.seq)])].sort(
        (a, b) => a - b,
      );
      const first = seqs[0] ?? 0;
      assert.deepEqual(
        seqs,
        seqs.map((_, i) => first + i),
        `${d.id}: seqs not contiguous`,
      );
      const during = readings.filter((r) => r.ts >= stoppedAt && r.ts < restartAt - BACKFILL_AFTER_MS);
      assert.ok(during.length >= 100, `${d.id}: samples recorded during the outage`);
      assert.ok(
        during.every((r) => r.backfill),
        `${d.id}: outage samples not marked backfill`,
      );
      backlog += during.length;
      // The device reported its outbox depth in a link event after reconnecting.
      assert.ok(
        events.some((m) => m.body.type === 'link' && Number(m.body.buffered) > 0),
        `${d.id}: no link event with the backlog`,
      );
    }
    assert.ok(backlog >= 12 * 100);
    const reconnects = connects.filter((c) => c.downMs !== null);
    assert.ok(reconnects.length >= 12, 'every device reconnected');
  });
});
