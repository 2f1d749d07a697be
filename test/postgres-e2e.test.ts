/**
 * A whole Vigil on PostgreSQL (storage.url): first start creates the schema and the admin in
 * PostgreSQL, a device publishes over mTLS, its readings are stored (encrypted columns) and
 * survive a restart; the data directory holds no SQLite database. Then the parts that keep their
 * state beside the readings: a webhook sink delivers from the outbox the ingest transaction fills,
 * and a device's secret is rotated through a signed command and its ack.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { lifecycleOf } from '../src/server/lifecycle-wiring.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import { postgresOrSkip } from '../src/storage/adapters/postgres-server.fixture.ts';
import { enrolledUser } from './helpers/browser.ts';
import {
  closeClient,
  connectDevice,
  makeEnvelope,
  send,
  startInstance,
  truckSample,
  waitFor,
} from './helpers/instance.ts';
import { startWebhookReceiver } from './helpers/webhook-receiver.ts';

const pgs = await postgresOrSkip();
const server = typeof pgs === 'string' ? undefined : pgs;
if (server) after(() => server.stop());

describe('Vigil on PostgreSQL (storage.url)', { skip: typeof pgs === 'string' ? pgs : false }, () => {
  it('ingests over mTLS into PostgreSQL and keeps the data across a restart', async () => {
    assert.ok(server);
    await server.query('CREATE DATABASE vigil_e2e');
    const inst = await startInstance({ storage: { url: server.url('vigil_e2e') } });
    try {
      assert.equal(existsSync(inst.ctx.paths.db), false, 'no SQLite file in PostgreSQL mode');
      assert.equal(await inst.ctx.accountStore.countUsers(), 1, 'the first admin lives in PostgreSQL');
      const b = await inst.addDevice('truck-0101');
      const c = await connectDevice(inst.url, b);
      const now = Date.now();
      for (let seq = 1; seq <= 5; seq++) {
        await send(
          c,
          b.info.id,
          makeEnvelope(b, 'telemetry', { samples: [truckSample(now - 5000 + seq * 1000)] }, { seq }),
        );
      }
      // A replay of seq 3 is refused (the window is persisted in PostgreSQL).
      await send(c, b.info.id, makeEnvelope(b, 'telemetry', { samples: [truckSample(now)] }, { seq: 3 }));
      await closeClient(c);
      assert.equal(await inst.ctx.store.countReadings('truck-0101'), 5);
      await inst.restart();
      assert.equal(await inst.ctx.store.countReadings('truck-0101'), 5);
      const c2 = await connectDevice(inst.url, b);
      await send(c2, b.info.id, makeEnvelope(b, 'telemetry', { samples: [truckSample(now)] }, { seq: 4 }));
      await send(c2, b.info.id, makeEnvelope(b, 'telemetry', { samples: [truckSample(now)] }, { seq: 6 }));
      await closeClient(c2);
      await waitFor('seq 6 stored', async () => (await inst.ctx.store.countReadings('truck-0101')) === 6);
      const counters = await inst.ctx.store.getCounters();
      assert.ok((counters['rejected.replay'] ?? 0) >= 1, `replays counted: ${JSON.stringify(counters)}`);
      // A patient monitor's bed and ward over the API, stored encrypted (docs/security.md §11).
      await inst.addDevice('bed-pg-0001', 'patient-vitals');
      const olga = await enrolledUser(inst, 'olga', 'operator');
      const labels = { bed: 'Bed 9 (PG)', ward: 'Ward PG – oncology' };
      const put = await olga.browser.call('/api/v1/devices/bed-pg-0001/labels', {
        method: 'PUT',
        body: labels,
      });
      assert.equal(put.status, 200, put.text);
      const one = await olga.browser.call('/api/v1/devices/bed-pg-0001');
      assert.deepEqual((one.json as { device: { labels?: unknown } }).device.labels, labels);
      const rows = await server.query<{ bed: Buffer; ward: Buffer }>(
        'SELECT bed, ward FROM device_labels',
        'vigil_e2e',
      );
      assert.equal(rows.length, 1);
      const raw = Buffer.concat([rows[0]?.bed ?? Buffer.alloc(0), rows[0]?.ward ?? Buffer.alloc(0)]);
      assert.equal(raw.includes('Bed 9'), false, 'the bed is ciphertext in the table');
      assert.equal(raw.includes('oncology'), false, 'the ward is ciphertext in the table');
      const audit = await inst.ctx.store.verifyAudit();
      assert.equal(audit.ok, true);
    } finally {
      await inst.destroy();
    }
  });

  it('delivers readings to a webhook sink and rotates a device secret, both kept in PostgreSQL', async () => {
    assert.ok(server);
    await server.query('CREATE DATABASE vigil_e2e_life');
    const secret = 'pg-webhook-secret-5b1e77c2';
    const hook = await startWebhookReceiver({ mode: 'generic', secret, failFirst: 1 });
    const inst = await startInstance({
      storage: { url: server.url('vigil_e2e_life') },
      commands: { resendAfterSeconds: 1 },
      keys: { rotationOverlapMinutes: 60 },
      sinks: { retryMaxMs: 1000, webhook: [{ url: hook.url, secret, fields: ['temp_c'], ca: hook.caPem }] },
    });
    const d = new SimDevice(await inst.addDevice('probe-pg-0001', 'temperature-probe'), {
      brokerUrl: inst.url,
    });
    try {
      await d.connect();
      for (let i = 0; i < 3; i++) d.record({ ts: Date.now() - 3000 + i * 1000, temp_c: 4 + i }, [], true);
      await waitFor('three readings delivered to the webhook', () => hook.accepted.length >= 3, 20_000);
      // Exactly the three stored readings (the device's first seq went to its boot report, an event).
      const stored = await inst.ctx.store.queryReadings({ deviceId: d.id, limit: 10 });
      assert.equal(stored.length, 3);
      assert.deepEqual(
        [...new Set(hook.accepted.map((l) => `${l.deviceId}|${l.seq}`))].sort(),
        [...new Set(stored.map((r) => `${r.deviceId}|${r.seq}`))].sort(),
      );
      // The runner removes a batch once the receiver's answer is back.
      const [target] = await inst.ctx.sinkOutbox.listTargets();
      await waitFor(
        'delivered entries removed',
        async () => (await inst.ctx.sinkOutbox.depth(target?.name ?? '')).pending === 0,
        10_000,
      );

      const cmd = await lifecycleOf(inst.server).rotation.rotate(d.id, 'test');
      assert.equal((await inst.ctx.lifecycleStores.commands.get(cmd.id))?.op, 'rotate_key');
      await waitFor(
        'rotation acked',
        async () => (await inst.ctx.lifecycleStores.rotations.latestRotations(d.id))[0]?.state === 'acked',
        20_000,
      );
      d.record({ ts: Date.now(), temp_c: 5.5 }, [], true);
      await waitFor(
        'rotation completed',
        async () =>
          (await inst.ctx.lifecycleStores.rotations.latestRotations(d.id))[0]?.state === 'completed',
        20_000,
      );
      assert.equal(d.kid, 2, 'the device sends under its new key');
      assert.equal((await inst.ctx.lifecycleStores.commands.get(cmd.id))?.state, 'acked');
      await waitFor('the reading under kid 2 delivered too', () => hook.accepted.length >= 4, 20_000);
    } finally {
      await d.close();
      await inst.destroy();
      await hook.close();
    }
  });
});
