import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { ErrorCode } from '../errors.ts';
import { isVigilError } from '../errors.ts';
import { auditHash, GENESIS_HASH } from './audit-chain.ts';
import type {
  CertificateRecord,
  DeviceKeyRecord,
  DeviceRecord,
  IngestBatch,
  MessageRecord,
  ReadingRecord,
  ReplayStateRecord,
  Store,
} from './store.ts';

/** A fresh, migrated, empty store and a way to dispose of it. */
export interface StoreFixture {
  store: Store;
  cleanup: () => Promise<void>;
}

const T0 = 1_795_305_600_000;

/** Test data builders, exported so adapter-specific suites use the same shapes. */
export function sampleDevice(id: string, over: Partial<DeviceRecord> = {}): DeviceRecord {
  return {
    id,
    profile: 'vaccine-transport',
    status: 'enabled',
    alg: 'A256GCM',
    currentKid: 1,
    createdAt: T0,
    updatedAt: T0,
    certSerial: null,
    certNotAfter: null,
    lastSeenAt: null,
    ...over,
  };
}

export function sampleKey(deviceId: string, kid = 1, over: Partial<DeviceKeyRecord> = {}): DeviceKeyRecord {
  return {
    deviceId,
    kid,
    secretEnc: Buffer.from(`sealed-secret-${deviceId}-${kid}-\u0000\u00ff`, 'latin1'),
    createdAt: T0,
    status: 'active',
    ...over,
  };
}

export function sampleCert(serial: string, over: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    serial,
    subject: 'truck-0001',
    kind: 'device',
    notBefore: T0,
    notAfter: T0 + 365 * 86_400_000,
    pem: `-----BEGIN CERTIFICATE-----\n${serial}\n-----END CERTIFICATE-----\n`,
    revokedAt: null,
    revocationReason: null,
    ...over,
  };
}

export function sampleReading(
  deviceId: string,
  seq: number,
  idx = 0,
  over: Partial<ReadingRecord> = {},
): ReadingRecord {
  return {
    deviceId,
    seq,
    idx,
    ts: T0 + seq * 60_000 + idx * 1000,
    receivedAt: T0 + seq * 60_000 + 5000,
    backfill: false,
    data: { temp_c: 4.5 + idx / 10, rh_pct: 51.2, power: 'mains', door: null },
    ...over,
  };
}

export function sampleMessage(
  deviceId: string,
  seq: number,
  over: Partial<MessageRecord> = {},
): MessageRecord {
  return {
    deviceId,
    seq,
    channel: 'events',
    ts: T0 + seq * 60_000,
    receivedAt: T0 + seq * 60_000 + 5000,
    body: { type: 'dispatch', batch: `LOT-${seq}`, token_hash: 'ab'.repeat(16) },
    ...over,
  };
}

export function sampleBatch(over: Partial<IngestBatch> = {}): IngestBatch {
  return { readings: [], messages: [], replayStates: [], lastSeen: [], ...over };
}

async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isVigilError(err, code), `expected VigilError ${code}, got ${String(err)}`);
    return true;
  });
}

/**
 * The behaviour every `Store` adapter must show. Call from an adapter's test file:
 * `storeContract('SqliteStore', async () => ({ store, cleanup }))`. `makeStore` must return a
 * fresh, already migrated, empty store; each test gets its own. With `opts.skip` (e.g.
 * `'postgres not reachable'`) every test is reported as skipped with that reason.
 */
export function storeContract(
  name: string,
  makeStore: () => Promise<StoreFixture>,
  opts: { skip?: string } = {},
): void {
  const skip = opts.skip ?? false;
  const test = (title: string, fn: (store: Store, t: TestContext) => Promise<void>): void => {
    it(title, { skip }, async (t) => {
      const { store, cleanup } = await makeStore();
      try {
        await fn(store, t);
      } finally {
        await cleanup();
      }
    });
  };

  describe(`Store contract: ${name}`, () => {
    describe('schema and meta', () => {
      test('migrate is idempotent and keeps data', async (s) => {
        await s.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
        await s.migrate();
        await s.migrate();
        assert.equal((await s.getDevice('truck-0001'))?.id, 'truck-0001');
      });

      test('meta returns null for a missing key, then the last value set', async (s) => {
        assert.equal(await s.getMeta('install_id'), null);
        await s.setMeta('install_id', 'a');
        await s.setMeta('install_id', 'b');
        await s.setMeta('other', '');
        assert.equal(await s.getMeta('install_id'), 'b');
        assert.equal(await s.getMeta('other'), '');
      });

      test('changeToken returns a number', async (s) => {
        assert.equal(typeof (await s.changeToken()), 'number');
      });
    });

    describe('devices and keys', () => {
      test('stores a device and its first key and reads them back unchanged', async (s) => {
        const dev = sampleDevice('truck-0001', {
          profile: 'patient-vitals',
          alg: 'ASCON128',
          certSerial: '0a1b',
          certNotAfter: T0 + 1,
          lastSeenAt: T0 + 2,
        });
        const key = sampleKey('truck-0001');
        await s.addDevice(dev, key);
        assert.deepEqual(await s.getDevice('truck-0001'), dev);
        const got = await s.getDeviceKey('truck-0001', 1);
        assert.deepEqual(got, key);
        assert.ok(Buffer.isBuffer(got?.secretEnc));
      });

      test('returns null for an unknown device or key', async (s) => {
        assert.equal(await s.getDevice('nope-0000'), null);
        assert.equal(await s.getDeviceKey('nope-0000', 1), null);
        assert.deepEqual(await s.listDeviceKeys('nope-0000'), []);
      });

      test('lists devices ordered by id', async (s) => {
        for (const id of ['probe-0002', 'clinic-0001', 'truck-0003'])
          await s.addDevice(sampleDevice(id), sampleKey(id));
        assert.deepEqual(
          (await s.listDevices()).map((d) => d.id),
          ['clinic-0001', 'probe-0002', 'truck-0003'],
        );
      });

      test('rejects a duplicate device with VIGIL_ERR_DEVICE_EXISTS and keeps the original', async (s) => {
        await s.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
        await rejectsWith(
          s.addDevice(
            sampleDevice('truck-0001', { profile: 'temperature-probe' }),
            sampleKey('truck-0001', 7),
          ),
          'VIGIL_ERR_DEVICE_EXISTS',
        );
        assert.equal((await s.getDevice('truck-0001'))?.profile, 'vaccine-transport');
        assert.deepEqual(
          (await s.listDeviceKeys('truck-0001')).map((k) => k.kid),
          [1],
        );
      });

      test('sets status and certificate and bumps updatedAt', async (s) => {
        await s.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
        await s.setDeviceStatus('truck-0001', 'disabled', T0 + 10);
        let d = await s.getDevice('truck-0001');
        assert.equal(d?.status, 'disabled');
        assert.equal(d?.updatedAt, T0 + 10);
        await s.setDeviceCert('truck-0001', 'ff01', T0 + 1000, T0 + 20);
        d = await s.getDevice('truck-0001');
        assert.equal(d?.certSerial, 'ff01');
        assert.equal(d?.certNotAfter, T0 + 1000);
        assert.equal(d?.updatedAt, T0 + 20);
        assert.equal(d?.status, 'disabled');
      });

      test('rejects status or certificate changes of an unknown device with VIGIL_ERR_NOT_FOUND', async (s) => {
        await rejectsWith(s.setDeviceStatus('nope-0000', 'revoked', T0), 'VIGIL_ERR_NOT_FOUND');
        await rejectsWith(s.setDeviceCert('nope-0000', 'aa', T0, T0), 'VIGIL_ERR_NOT_FOUND');
      });

      test('adds key generations and lists them by kid', async (s) => {
        await s.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001', 1));
        await s.addDeviceKey(sampleKey('truck-0001', 3));
        await s.addDeviceKey(sampleKey('truck-0001', 2, { status: 'retired' }));
        const keys = await s.listDeviceKeys('truck-0001');
        assert.deepEqual(
          keys.map((k) => [k.kid, k.status]),
          [
            [1, 'active'],
            [2, 'retired'],
            [3, 'active'],
          ],
        );
        assert.deepEqual(keys[2], sampleKey('truck-0001', 3));
      });

      test('rejects a duplicate key generation and a key of an unknown device', async (s) => {
        await s.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001', 1));
        await rejectsWith(s.addDeviceKey(sampleKey('truck-0001', 1)), 'VIGIL_ERR_KEY_EXISTS');
        await rejectsWith(s.addDeviceKey(sampleKey('nope-0000', 1)), 'VIGIL_ERR_NOT_FOUND');
      });

      test('rotates keys through the optional setDeviceKeyStatus and setDeviceCurrentKid', async (s, t) => {
        if (!s.setDeviceKeyStatus || !s.setDeviceCurrentKid) {
          t.skip('adapter does not implement the optional key-rotation methods');
          return;
        }
        await s.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001', 1));
        await s.addDeviceKey(sampleKey('truck-0001', 2));
        await s.setDeviceCurrentKid('truck-0001', 2, T0 + 5);
        await s.setDeviceKeyStatus('truck-0001', 1, 'retired');
        const d = await s.getDevice('truck-0001');
        assert.equal(d?.currentKid, 2);
        assert.equal(d?.updatedAt, T0 + 5);
        assert.equal((await s.getDeviceKey('truck-0001', 1))?.status, 'retired');
        await rejectsWith(s.setDeviceCurrentKid('truck-0001', 1, T0), 'VIGIL_ERR_USAGE');
        await rejectsWith(s.setDeviceCurrentKid('truck-0001', 9, T0), 'VIGIL_ERR_NOT_FOUND');
        await rejectsWith(s.setDeviceKeyStatus('truck-0001', 9, 'retired'), 'VIGIL_ERR_NOT_FOUND');
      });
    });

    describe('certificates', () => {
      test('stores certificates and filters them by subject and kind', async (s) => {
        const a = sampleCert('01', { subject: 'truck-0001', notBefore: T0 + 2 });
        const b = sampleCert('02', { subject: 'vigil-server', kind: 'server', notBefore: T0 + 1 });
        const c = sampleCert('03', { subject: 'truck-0001', notBefore: T0 + 3 });
        for (const x of [a, b, c]) await s.addCertificate(x);
        assert.deepEqual(await s.getCertificate('02'), b);
        assert.equal(await s.getCertificate('99'), null);
        assert.deepEqual(
          (await s.listCertificates()).map((x) => x.serial),
          ['02', '01', '03'],
        );
        assert.deepEqual(
          (await s.listCertificates({ subject: 'truck-0001' })).map((x) => x.serial),
          ['01', '03'],
        );
        assert.deepEqual(
          (await s.listCertificates({ kind: 'server' })).map((x) => x.serial),
          ['02'],
        );
        assert.deepEqual(await s.listCertificates({ subject: 'truck-0001', kind: 'server' }), []);
      });

      test('rejects a duplicate serial with VIGIL_ERR_CERT_EXISTS', async (s) => {
        await s.addCertificate(sampleCert('01'));
        await rejectsWith(s.addCertificate(sampleCert('01', { subject: 'x' })), 'VIGIL_ERR_CERT_EXISTS');
      });

      test('revokes a certificate once and lists revoked certificates for the CRL', async (s) => {
        await s.addCertificate(sampleCert('01'));
        await s.addCertificate(sampleCert('02'));
        await s.addCertificate(sampleCert('03'));
        await s.revokeCertificate('03', T0 + 10, 'keyCompromise');
        await s.revokeCertificate('01', T0 + 20, 'superseded');
        // a second revocation keeps the first date and reason (RFC 5280 §5.3.2 revocationDate)
        await s.revokeCertificate('03', T0 + 99, 'other');
        const revoked = await s.listRevoked();
        assert.deepEqual(
          revoked.map((c) => [c.serial, c.revokedAt, c.revocationReason]),
          [
            ['03', T0 + 10, 'keyCompromise'],
            ['01', T0 + 20, 'superseded'],
          ],
        );
        assert.equal((await s.getCertificate('02'))?.revokedAt, null);
        await rejectsWith(s.revokeCertificate('99', T0, 'x'), 'VIGIL_ERR_NOT_FOUND');
      });
    });

    describe('ingest', () => {
      const setup = async (s: Store): Promise<void> => {
        await s.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
        await s.addDevice(sampleDevice('truck-0002'), sampleKey('truck-0002'));
      };

      test('writes a batch and counts the rows it inserted', async (s) => {
        await setup(s);
        const res = await s.writeBatch(
          sampleBatch({
            readings: [sampleReading('truck-0001', 1, 0), sampleReading('truck-0001', 1, 1)],
            messages: [sampleMessage('truck-0001', 2)],
          }),
        );
        assert.deepEqual(res, { readingsInserted: 2, messagesInserted: 1 });
        assert.equal(await s.countReadings(), 2);
      });

      test('ignores duplicates: the same batch twice inserts nothing the second time', async (s) => {
        await setup(s);
        const batch = sampleBatch({
          readings: [sampleReading('truck-0001', 1, 0), sampleReading('truck-0001', 1, 1)],
          messages: [sampleMessage('truck-0001', 2, { channel: 'acks', body: { id: 'x', ok: true } })],
        });
        await s.writeBatch(batch);
        assert.deepEqual(await s.writeBatch(batch), { readingsInserted: 0, messagesInserted: 0 });
        const overlap = sampleBatch({
          readings: [
            sampleReading('truck-0001', 1, 1, { data: { temp_c: 99 } }),
            sampleReading('truck-0001', 3, 0),
          ],
        });
        assert.deepEqual(await s.writeBatch(overlap), { readingsInserted: 1, messagesInserted: 0 });
        assert.equal(await s.countReadings('truck-0001'), 3);
        const first = await s.queryReadings({ deviceId: 'truck-0001', limit: 2 });
        assert.deepEqual(first[1], batch.readings[1], 'the first write wins');
      });

      test('writes nothing of a batch that fails (a row of an unknown device)', async (s) => {
        await setup(s);
        await assert.rejects(
          s.writeBatch(
            sampleBatch({
              readings: [sampleReading('truck-0001', 1), sampleReading('ghost-0001', 1)],
              replayStates: [
                {
                  deviceId: 'truck-0001',
                  highest: 1,
                  bitmap: Buffer.alloc(8),
                  nonces: Buffer.alloc(0),
                  updatedAt: T0,
                },
              ],
            }),
          ),
        );
        assert.equal(await s.countReadings(), 0);
        assert.equal(await s.getReplayState('truck-0001'), null);
      });

      test('round-trips replay state and overwrites it on the next batch', async (s) => {
        await setup(s);
        assert.equal(await s.getReplayState('truck-0001'), null);
        const st: ReplayStateRecord = {
          deviceId: 'truck-0001',
          highest: 41,
          bitmap: Buffer.from('8000000000000001', 'hex'),
          nonces: Buffer.from('00112233445566778899', 'hex'),
          updatedAt: T0,
        };
        await s.writeBatch(sampleBatch({ replayStates: [st] }));
        assert.deepEqual(await s.getReplayState('truck-0001'), st);
        const next = {
          ...st,
          highest: 42,
          bitmap: Buffer.from('c000000000000000', 'hex'),
          updatedAt: T0 + 1,
        };
        await s.writeBatch(sampleBatch({ replayStates: [next] }));
        assert.deepEqual(await s.getReplayState('truck-0001'), next);
        assert.equal(await s.getReplayState('truck-0002'), null);
      });

      test('moves lastSeenAt forward only', async (s) => {
        await setup(s);
        await s.writeBatch(sampleBatch({ lastSeen: [{ deviceId: 'truck-0001', at: T0 + 100 }] }));
        assert.equal((await s.getDevice('truck-0001'))?.lastSeenAt, T0 + 100);
        await s.writeBatch(sampleBatch({ lastSeen: [{ deviceId: 'truck-0001', at: T0 + 50 }] }));
        assert.equal((await s.getDevice('truck-0001'))?.lastSeenAt, T0 + 100);
        await s.writeBatch(sampleBatch({ lastSeen: [{ deviceId: 'truck-0001', at: T0 + 200 }] }));
        const d = await s.getDevice('truck-0001');
        assert.equal(d?.lastSeenAt, T0 + 200);
        assert.equal(d?.updatedAt, T0, 'being seen is not a configuration change');
        assert.equal((await s.getDevice('truck-0002'))?.lastSeenAt, null);
      });

      test('returns readings of one device by ts, then seq and idx, with since inclusive and until exclusive', async (s) => {
        await setup(s);
        const rs = [
          sampleReading('truck-0001', 5, 0, { ts: T0 + 300 }),
          sampleReading('truck-0001', 1, 0, { ts: T0 + 100, backfill: true }),
          sampleReading('truck-0001', 2, 1, { ts: T0 + 200 }),
          sampleReading('truck-0001', 2, 0, { ts: T0 + 200 }),
          sampleReading('truck-0001', 3, 0, { ts: T0 + 200 }),
          sampleReading('truck-0002', 1, 0, { ts: T0 + 200 }),
        ];
        await s.writeBatch(sampleBatch({ readings: rs }));
        const all = await s.queryReadings({ deviceId: 'truck-0001' });
        assert.deepEqual(
          all.map((r) => [r.seq, r.idx]),
          [
            [1, 0],
            [2, 0],
            [2, 1],
            [3, 0],
            [5, 0],
          ],
        );
        assert.deepEqual(all[0], rs[1]);
        assert.equal(all[0]?.backfill, true);
        assert.equal(all[1]?.backfill, false);
        const desc = await s.queryReadings({ deviceId: 'truck-0001', descending: true });
        assert.deepEqual(
          desc.map((r) => [r.seq, r.idx]),
          [
            [5, 0],
            [3, 0],
            [2, 1],
            [2, 0],
            [1, 0],
          ],
        );
        const win = await s.queryReadings({ deviceId: 'truck-0001', since: T0 + 200, until: T0 + 300 });
        assert.deepEqual(
          win.map((r) => r.seq),
          [2, 2, 3],
        );
        const lim = await s.queryReadings({ deviceId: 'truck-0001', since: T0 + 150, limit: 2 });
        assert.deepEqual(
          lim.map((r) => [r.seq, r.idx]),
          [
            [2, 0],
            [2, 1],
          ],
        );
        const lastTwo = await s.queryReadings({ deviceId: 'truck-0001', descending: true, limit: 2 });
        assert.deepEqual(
          lastTwo.map((r) => r.seq),
          [5, 3],
        );
        assert.deepEqual(await s.queryReadings({ deviceId: 'nope-0000' }), []);
      });

      test('limits readings to 1000 by default', async (s) => {
        await setup(s);
        const readings = Array.from({ length: 1100 }, (_, i) => sampleReading('truck-0001', i + 1));
        await s.writeBatch(sampleBatch({ readings }));
        const got = await s.queryReadings({ deviceId: 'truck-0001' });
        assert.equal(got.length, 1000);
        assert.equal(got[999]?.seq, 1000);
        assert.equal((await s.queryReadings({ deviceId: 'truck-0001', limit: 5000 })).length, 1100);
      });

      test('counts readings in total and per device', async (s) => {
        await setup(s);
        assert.equal(await s.countReadings(), 0);
        await s.writeBatch(
          sampleBatch({
            readings: [
              sampleReading('truck-0001', 1),
              sampleReading('truck-0001', 2),
              sampleReading('truck-0002', 1),
            ],
          }),
        );
        assert.equal(await s.countReadings(), 3);
        assert.equal(await s.countReadings('truck-0001'), 2);
        assert.equal(await s.countReadings('truck-0002'), 1);
        assert.equal(await s.countReadings('nope-0000'), 0);
      });

      test('queries messages by device, channel and since, ordered by ts', async (s) => {
        await setup(s);
        const ms = [
          sampleMessage('truck-0001', 3, { ts: T0 + 300 }),
          sampleMessage('truck-0001', 1, { ts: T0 + 100 }),
          sampleMessage('truck-0001', 2, { ts: T0 + 200, channel: 'acks', body: { id: 'c1', ok: true } }),
          sampleMessage('truck-0002', 1, { ts: T0 + 150 }),
        ];
        const res = await s.writeBatch(sampleBatch({ messages: ms }));
        assert.equal(res.messagesInserted, 4);
        const all = await s.queryMessages({});
        assert.deepEqual(
          all.map((m) => [m.deviceId, m.seq]),
          [
            ['truck-0001', 1],
            ['truck-0002', 1],
            ['truck-0001', 2],
            ['truck-0001', 3],
          ],
        );
        assert.deepEqual(all[2], ms[2]);
        assert.deepEqual(
          (await s.queryMessages({ deviceId: 'truck-0001' })).map((m) => m.seq),
          [1, 2, 3],
        );
        assert.deepEqual(
          (await s.queryMessages({ channel: 'acks' })).map((m) => m.seq),
          [2],
        );
        assert.deepEqual(
          (await s.queryMessages({ deviceId: 'truck-0001', channel: 'events', since: T0 + 100 })).map(
            (m) => m.seq,
          ),
          [1, 3],
        );
        assert.deepEqual(
          (await s.queryMessages({ since: T0 + 150, limit: 2 })).map((m) => [m.deviceId, m.seq]),
          [
            ['truck-0002', 1],
            ['truck-0001', 2],
          ],
        );
      });
    });

    describe('audit', () => {
      test('appends entries that chain from the genesis hash', async (s) => {
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
        assert.equal(a.hash, auditHash(GENESIS_HASH, a));
        const b = await s.appendAudit({
          ts: T0 + 1,
          actor: 'system',
          action: 'ingest.reject',
          object: null,
          detail: {},
        });
        assert.equal(b.id, 2);
        assert.equal(b.prevHash, a.hash);
        assert.equal(b.hash, auditHash(a.hash, b));
        assert.deepEqual(await s.queryAudit({}), [a, b]);
      });

      test('verifies an intact chain, and an empty one', async (s) => {
        assert.deepEqual(await s.verifyAudit(), { ok: true, entries: 0, firstBroken: null });
        for (let i = 0; i < 5; i++) {
          await s.appendAudit({ ts: T0 + i, actor: 'system', action: 'x.y', object: `o${i}`, detail: { i } });
        }
        assert.deepEqual(await s.verifyAudit(), { ok: true, entries: 5, firstBroken: null });
      });

      test('filters audit entries by action, since and limit in id order', async (s) => {
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
      test('accumulates counter deltas across calls', async (s) => {
        assert.deepEqual(await s.getCounters(), {});
        await s.addCounters({ mac_invalid: 2, replay: 1 });
        await s.addCounters({ mac_invalid: 3 });
        await s.addCounters({});
        assert.deepEqual(await s.getCounters(), { mac_invalid: 5, replay: 1 });
      });
    });
  });
}
