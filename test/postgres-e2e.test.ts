/**
 * A whole Vigil on PostgreSQL (storage.url): first start creates the schema and the admin in
 * PostgreSQL, a device publishes over mTLS, its readings are stored (encrypted columns) and
 * survive a restart; the data directory holds no SQLite database.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { postgresOrSkip } from '../src/storage/adapters/postgres-server.fixture.ts';
import {
  closeClient,
  connectDevice,
  makeEnvelope,
  send,
  startInstance,
  truckSample,
  waitFor,
} from './helpers/instance.ts';

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
      const audit = await inst.ctx.store.verifyAudit();
      assert.equal(audit.ok, true);
    } finally {
      await inst.destroy();
    }
  });
});
