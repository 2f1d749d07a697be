import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type ContractTest, rejectsWith } from './contract.fixture.ts';
import type { StoreFixture } from './store-contract.ts';
import {
  sampleBatch,
  sampleCert,
  sampleDevice,
  sampleKey,
  sampleMessage,
  sampleReading,
  T0,
} from './store-records.fixture.ts';

/** The `Store` contract on devices, keys and certificates (run by `runStoreContract`). */
export function registryContract(test: ContractTest<StoreFixture>): void {
  describe('devices and keys', () => {
    test('stores a device and its first key and reads them back unchanged', async ({ store: s }) => {
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

    test('returns null for an unknown device or key', async ({ store: s }) => {
      assert.equal(await s.getDevice('nope-0000'), null);
      assert.equal(await s.getDeviceKey('nope-0000', 1), null);
      assert.deepEqual(await s.listDeviceKeys('nope-0000'), []);
    });

    test('lists devices ordered by id', async ({ store: s }) => {
      for (const id of ['probe-0002', 'clinic-0001', 'truck-0003'])
        await s.addDevice(sampleDevice(id), sampleKey(id));
      assert.deepEqual(
        (await s.listDevices()).map((d) => d.id),
        ['clinic-0001', 'probe-0002', 'truck-0003'],
      );
    });

    test('rejects a duplicate device with VIGIL_ERR_DEVICE_EXISTS and keeps the original', async ({
      store: s,
    }) => {
      await s.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
      await rejectsWith(
        s.addDevice(sampleDevice('truck-0001', { profile: 'temperature-probe' }), sampleKey('truck-0001', 7)),
        'VIGIL_ERR_DEVICE_EXISTS',
      );
      assert.equal((await s.getDevice('truck-0001'))?.profile, 'vaccine-transport');
      assert.deepEqual(
        (await s.listDeviceKeys('truck-0001')).map((k) => k.kid),
        [1],
      );
    });

    test('sets status and certificate and bumps updatedAt', async ({ store: s }) => {
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

    test('rejects status or certificate changes of an unknown device with VIGIL_ERR_NOT_FOUND', async ({
      store: s,
    }) => {
      await rejectsWith(s.setDeviceStatus('nope-0000', 'revoked', T0), 'VIGIL_ERR_NOT_FOUND');
      await rejectsWith(s.setDeviceCert('nope-0000', 'aa', T0, T0), 'VIGIL_ERR_NOT_FOUND');
    });

    test('adds key generations and lists them by kid', async ({ store: s }) => {
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

    test('rejects a duplicate key generation and a key of an unknown device', async ({ store: s }) => {
      await s.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001', 1));
      await rejectsWith(s.addDeviceKey(sampleKey('truck-0001', 1)), 'VIGIL_ERR_KEY_EXISTS');
      await rejectsWith(s.addDeviceKey(sampleKey('nope-0000', 1)), 'VIGIL_ERR_NOT_FOUND');
    });

    test('rotates keys: a new current generation, the old one retired', async ({ store: s }) => {
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

    test('deletes a device that delivered nothing, with its keys; refuses one with readings or events', async ({
      store: s,
    }) => {
      for (const id of ['idle-0001', 'busy-0002', 'chat-0003'])
        await s.addDevice(sampleDevice(id), sampleKey(id));
      await s.addDeviceKey(sampleKey('idle-0001', 2));
      await s.addCertificate(sampleCert('0c01', { subject: 'idle-0001' }));
      await s.writeBatch(sampleBatch({ readings: [sampleReading('busy-0002', 1)] }));
      await s.writeBatch(sampleBatch({ messages: [sampleMessage('chat-0003', 1)] }));

      await s.deleteDevice('idle-0001');
      assert.equal(await s.getDevice('idle-0001'), null);
      assert.deepEqual(await s.listDeviceKeys('idle-0001'), []);
      assert.equal((await s.getCertificate('0c01'))?.subject, 'idle-0001', 'certificates stay on record');
      await rejectsWith(s.deleteDevice('idle-0001'), 'VIGIL_ERR_NOT_FOUND');

      for (const id of ['busy-0002', 'chat-0003']) {
        await rejectsWith(s.deleteDevice(id), 'VIGIL_ERR_DEVICE_IN_USE');
        assert.equal((await s.getDevice(id))?.id, id, 'nothing changed');
        assert.equal((await s.listDeviceKeys(id)).length, 1, 'keys kept');
      }
      // The id can be provisioned again.
      await s.addDevice(sampleDevice('idle-0001'), sampleKey('idle-0001'));
    });
  });

  describe('certificates', () => {
    test('stores certificates and filters them by subject and kind', async ({ store: s }) => {
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

    test('rejects a duplicate serial with VIGIL_ERR_CERT_EXISTS', async ({ store: s }) => {
      await s.addCertificate(sampleCert('01'));
      await rejectsWith(s.addCertificate(sampleCert('01', { subject: 'x' })), 'VIGIL_ERR_CERT_EXISTS');
    });

    test('revokes a certificate once and lists revoked certificates for the CRL', async ({ store: s }) => {
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
}
