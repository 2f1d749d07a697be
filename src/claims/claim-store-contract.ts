import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type ContractOptions, contractTest, rejectsWith } from '../storage/contract.fixture.ts';
import type { ClaimBatch, ClaimRecord, ClaimStore } from './claim-store.ts';

/** A fresh, migrated, empty claim store. */
export interface ClaimStoreFixture {
  claims: ClaimStore;
  cleanup: () => Promise<void>;
}

const T = 1_795_305_600_000;

function batch(name: string, over: Partial<ClaimBatch> = {}): ClaimBatch {
  return {
    name,
    certSerial: `ab${name.length}cd${name}`,
    certPem: '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n',
    maxUses: 2,
    uses: 0,
    expiresAt: T + 86_400_000,
    createdAt: T,
    createdBy: 'cli',
    revokedAt: null,
    ...over,
  };
}

function claim(serial: string, over: Partial<ClaimRecord> = {}): ClaimRecord {
  return {
    serial,
    batch: 'factory-a',
    profile: 'temperature-probe',
    csr: 'MIIB',
    keyFp: 'ff'.repeat(32),
    state: 'pending',
    deviceId: null,
    reply: null,
    attempts: 1,
    receivedAt: T,
    lastSeenAt: T,
    address: '127.0.0.1',
    decidedAt: null,
    decidedBy: null,
    ...over,
  };
}

/** The behaviour every ClaimStore adapter must show. */
export function runClaimStoreContract(o: ContractOptions<ClaimStoreFixture>): void {
  const test = contractTest(o);
  describe(`ClaimStore contract: ${o.name}`, () => {
    test('keeps batches, found by name and by certificate serial', async (f) => {
      const b = batch('factory-a');
      await f.claims.addBatch(b);
      assert.deepEqual(await f.claims.getBatch('factory-a'), b);
      assert.deepEqual(await f.claims.batchBySerial(b.certSerial), b);
      assert.equal(await f.claims.getBatch('nope'), null);
      await rejectsWith(f.claims.addBatch(b), 'VIGIL_ERR_CLAIM_STATE');
    });

    test('admits claims up to the batch uses, refuses replays, expired and unknown batches', async (f) => {
      await f.claims.addBatch(batch('factory-a'));
      await f.claims.addBatch(batch('old-batch', { expiresAt: T - 1 }));
      assert.equal(await f.claims.admitClaim(claim('SN-0001'), 'n1', T), 'stored');
      assert.equal(await f.claims.admitClaim(claim('SN-0002'), 'n1', T), 'replay');
      assert.equal(await f.claims.admitClaim(claim('SN-0002'), 'n2', T), 'stored');
      assert.equal(await f.claims.admitClaim(claim('SN-0003'), 'n3', T), 'uses_exhausted');
      assert.equal(await f.claims.admitClaim(claim('SN-0004', { batch: 'old-batch' }), 'n4', T), 'expired');
      assert.equal(await f.claims.admitClaim(claim('SN-0005', { batch: 'ghost' }), 'n5', T), 'unknown_batch');
      assert.equal((await f.claims.getBatch('factory-a'))?.uses, 2);
      assert.deepEqual(
        (await f.claims.listClaims({ state: 'pending' })).map((c) => c.serial),
        ['SN-0001', 'SN-0002'],
      );
    });

    test('counts repeats of a claim without a new use; a repeated nonce is a replay', async (f) => {
      await f.claims.addBatch(batch('factory-a'));
      await f.claims.admitClaim(claim('SN-0001'), 'n1', T);
      assert.equal(await f.claims.touchClaim('SN-0001', 'n2', T + 5, '::1'), 'ok');
      assert.equal(await f.claims.touchClaim('SN-0001', 'n2', T + 6, '::1'), 'replay');
      const c = await f.claims.getClaim('SN-0001');
      assert.deepEqual([c?.attempts, c?.lastSeenAt, c?.address], [2, T + 5, '::1']);
      assert.equal((await f.claims.getBatch('factory-a'))?.uses, 1);
    });

    test('decides a pending claim once', async (f) => {
      await f.claims.addBatch(batch('factory-a'));
      await f.claims.admitClaim(claim('SN-0001'), 'n1', T);
      const d = await f.claims.decideClaim('SN-0001', {
        state: 'approved',
        deviceId: 'probe-0001',
        reply: '{}',
        at: T + 9,
        by: 'user:ada',
      });
      assert.deepEqual([d?.state, d?.deviceId, d?.decidedBy], ['approved', 'probe-0001', 'user:ada']);
      assert.equal(
        await f.claims.decideClaim('SN-0001', {
          state: 'refused',
          deviceId: null,
          reply: '{}',
          at: T,
          by: 'x',
        }),
        null,
      );
      assert.equal(
        await f.claims.decideClaim('SN-9999', {
          state: 'refused',
          deviceId: null,
          reply: '{}',
          at: T,
          by: 'x',
        }),
        null,
      );
    });

    test('counts quarantined identities', async (f) => {
      await f.claims.quarantine('ghost-0001', 'aa', T, '127.0.0.1');
      await f.claims.quarantine('ghost-0001', 'aa', T + 10, '127.0.0.2');
      await f.claims.quarantine('ghost-0002', 'bb', T + 5, null);
      const q = await f.claims.listQuarantine();
      assert.deepEqual(
        q.map((e) => [e.cn, e.attempts, e.lastSeen, e.lastAddress]),
        [
          ['ghost-0001', 2, T + 10, '127.0.0.2'],
          ['ghost-0002', 1, T + 5, null],
        ],
      );
    });
  });
}
