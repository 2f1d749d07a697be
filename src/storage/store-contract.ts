import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { isVigilError } from '../errors.ts';
import { GENESIS_HASH } from './audit-chain.ts';
import { type ContractOptions, contractTest } from './contract.fixture.ts';
import type { Store } from './store.ts';
import { ingestContract } from './store-ingest-contract.ts';
import { sampleDevice, sampleKey, T0 } from './store-records.fixture.ts';
import { registryContract } from './store-registry-contract.ts';

/** A fresh, migrated, empty store and a way to dispose of it. */
export interface StoreFixture {
  store: Store;
  cleanup: () => Promise<void>;
}

/**
 * The behaviour every `Store` adapter must show. Call from the adapter's test file:
 * `runStoreContract({ name: 'SqliteStore', make: async () => ({ store, cleanup }) })`. `make` must
 * return a fresh, already migrated, empty store; each test gets its own. With `skip` (e.g.
 * `'postgres not reachable'`) every test is reported as skipped with that reason.
 */
export function runStoreContract(o: ContractOptions<StoreFixture>): void {
  const test = contractTest(o);
  describe(`Store contract: ${o.name}`, () => {
    describe('schema and meta', () => {
      test('migrate is idempotent and keeps data', async ({ store: s }) => {
        await s.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
        await s.migrate();
        await s.migrate();
        assert.equal((await s.getDevice('truck-0001'))?.id, 'truck-0001');
      });

      test('meta returns null for a missing key, then the last value set', async ({ store: s }) => {
        assert.equal(await s.getMeta('install_id'), null);
        await s.setMeta('install_id', 'a');
        await s.setMeta('install_id', 'b');
        await s.setMeta('other', '');
        assert.equal(await s.getMeta('install_id'), 'b');
        assert.equal(await s.getMeta('other'), '');
      });

      test('changeToken returns a number', async ({ store: s }) => {
        assert.equal(typeof (await s.changeToken()), 'number');
      });
    });
    registryContract(test);
    ingestContract(test);

    describe('audit', () => {
      test('appends entries that chain from the genesis hash', async ({ store: s }) => {
        const a = await s.appendAudit({
          ts: T0,
          actor: 'cli',
          action: 'device.add',
          object: 'truck-0001',
          detail: { profile: 'vaccine-transport', b: [1, { z: 1, a: 2 }] },
        });
        assert.equal(a.id, 1);
        assert.equal(a.prevHash, GENESIS_HASH);
        assert.match(a.hash, /^[0-9a-f]{64}$/);
        const b = await s.appendAudit({
          ts: T0 + 1,
          actor: 'system',
          action: 'ingest.reject',
          object: null,
          detail: {},
        });
        assert.equal(b.id, 2);
        assert.equal(b.prevHash, a.hash);
        assert.notEqual(b.hash, a.hash);
        assert.deepEqual(await s.queryAudit({}), [a, b]);
        // the links recompute under the adapter's audit key
        assert.deepEqual(await s.verifyAudit(), {
          ok: true,
          entries: 2,
          firstBroken: null,
          head: { id: 2, hash: b.hash },
        });
      });

      test('gives the head and the hash of an entry, and keeps checkpoints whose seq only grows', async ({
        store: s,
      }) => {
        assert.equal(await s.auditHead(), null);
        assert.equal(await s.latestAuditCheckpoint(), null);
        const a = await s.appendAudit({ ts: T0, actor: 'cli', action: 'x.y', object: null, detail: {} });
        const b = await s.appendAudit({ ts: T0, actor: 'cli', action: 'x.y', object: null, detail: {} });
        assert.deepEqual(await s.auditHead(), { id: 2, hash: b.hash });
        assert.equal(await s.auditHashAt(1), a.hash);
        assert.equal(await s.auditHashAt(3), null);
        const cp = {
          seq: 1,
          at: T0,
          entries: 2,
          headId: 2,
          headHash: b.hash,
          keyFingerprint: 'SHA256:k',
          signature: 's',
        };
        await s.addAuditCheckpoint(cp);
        await s.addAuditCheckpoint({ ...cp, seq: 2 });
        await assert.rejects(s.addAuditCheckpoint({ ...cp, seq: 2 }), (e) =>
          isVigilError(e, 'VIGIL_ERR_USAGE'),
        );
        assert.deepEqual(await s.latestAuditCheckpoint(), { ...cp, seq: 2 });
      });

      test('verifies an intact chain, and an empty one', async ({ store: s }) => {
        assert.deepEqual(await s.verifyAudit(), { ok: true, entries: 0, firstBroken: null, head: null });
        for (let i = 0; i < 5; i++) {
          await s.appendAudit({ ts: T0 + i, actor: 'system', action: 'x.y', object: `o${i}`, detail: { i } });
        }
        const r = await s.verifyAudit();
        assert.deepEqual([r.ok, r.entries, r.firstBroken, r.head?.id], [true, 5, null, 5]);
      });

      test('filters audit entries by action, since and limit in id order', async ({ store: s }) => {
        const actions = ['device.add', 'ingest.reject', 'device.add', 'device.disable', 'device.add'];
        for (const [i, action] of actions.entries()) {
          await s.appendAudit({ ts: T0 + i * 10, actor: 'cli', action, object: null, detail: { i } });
        }
        assert.deepEqual(
          (await s.queryAudit({ action: 'device.add' })).map((e) => e.id),
          [1, 3, 5],
        );
        assert.deepEqual(
          (await s.queryAudit({ since: T0 + 20 })).map((e) => e.id),
          [3, 4, 5],
        );
        assert.deepEqual(
          (await s.queryAudit({ action: 'device.add', since: T0 + 1, limit: 1 })).map((e) => e.id),
          [3],
        );
        assert.deepEqual((await s.queryAudit({ action: 'nothing' })).length, 0);
      });
    });

    describe('counters', () => {
      test('accumulates counter deltas across calls', async ({ store: s }) => {
        assert.deepEqual(await s.getCounters(), {});
        await s.addCounters({ mac_invalid: 2, replay: 1 });
        await s.addCounters({ mac_invalid: 3 });
        await s.addCounters({});
        assert.deepEqual(await s.getCounters(), { mac_invalid: 5, replay: 1 });
      });
    });
  });
}
