/**
 * Device certificate renewal from device-generated keys (docs/protocol.md §13), over real mTLS:
 * renew_cert → csr event → cert command → reconnect with the new certificate → old one revoked.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { issueClientCert } from '../src/pki/issue-client.ts';
import { normalizeSerial } from '../src/pki/serial.ts';
import { EC_P256, ECDSA_SHA256, subtle, type WebCryptoKeyPair, x509 } from '../src/pki/x509.ts';
import { lifecycleOf } from '../src/server/lifecycle-wiring.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  makeEnvelope,
  send,
  startInstance,
  waitFor,
} from './helpers/instance.ts';
import { publishWhile, waitAllStored } from './helpers/sim-fleet.fixture.ts';

let inst: Instance;
const devices: SimDevice[] = [];

before(async () => {
  inst = await startInstance({ commands: { resendAfterSeconds: 1 } });
});
after(async () => {
  for (const d of devices) await d.close();
  await inst.destroy();
});

async function sim(id: string): Promise<SimDevice> {
  const d = new SimDevice(await inst.addDevice(id), { brokerUrl: inst.url });
  devices.push(d);
  await d.connect();
  return d;
}

async function csrDer(cn: string): Promise<string> {
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as WebCryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${cn}`,
    keys,
    signingAlgorithm: ECDSA_SHA256,
  });
  return Buffer.from(csr.rawData).toString('base64url');
}

const renewal = () => lifecycleOf(inst.server).renewal;

describe('device certificate renewal', () => {
  it('renews 4 publishing devices with no reading lost; the old certificates are revoked', async () => {
    const fleet: SimDevice[] = [];
    for (let i = 1; i <= 4; i++) fleet.push(await sim(`ren-load-${String(i).padStart(3, '0')}`));
    const oldSerials = await Promise.all(
      fleet.map(async (d) => (await inst.ctx.store.getDevice(d.id))?.certSerial),
    );
    const load = publishWhile(fleet, 20, 600);
    await new Promise((r) => setTimeout(r, 200));
    for (const d of fleet) await renewal().renew(d.id, 'test');
    await waitFor(
      'renewals completed',
      async () => {
        const done = await inst.ctx.store.queryAudit({ action: 'cert.renewal_completed', limit: 100 });
        return fleet.every((d) => done.some((a) => a.object === d.id));
      },
      30_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    const recorded = await load.stop();
    for (const [i, d] of fleet.entries()) {
      const dev = await inst.ctx.store.getDevice(d.id);
      assert.notEqual(dev?.certSerial, oldSerials[i], `${d.id} has a new certificate`);
      const old = await inst.ctx.store.getCertificate(normalizeSerial(oldSerials[i] as string));
      assert.ok(old?.revokedAt, 'the old certificate is revoked');
      assert.equal(
        new x509.X509Certificate(d.certificatePem).serialNumber.toLowerCase().replace(/^0+/, ''),
        normalizeSerial(dev?.certSerial as string).replace(/^0+/, ''),
      );
    }
    await waitAllStored(inst, fleet, recorded);
  });

  it('refuses and audits a CSR for another CN; no certificate is issued', async () => {
    const b = await inst.addDevice('ren-cn-00001');
    const certsBefore = (await inst.ctx.store.listCertificates({ subject: 'other-device' })).length;
    const c = await connectDevice(inst.url, b);
    try {
      await send(
        c,
        b.info.id,
        makeEnvelope(b, 'events', { type: 'csr', csr: await csrDer('other-device') }, { seq: 1 }),
        'events',
      );
    } finally {
      await closeClient(c);
    }
    const refused = await waitFor('audited', async () =>
      (await inst.ctx.store.queryAudit({ action: 'cert.csr_refused' })).find(
        (a) => a.object === 'ren-cn-00001',
      ),
    );
    assert.equal(refused.detail.code, 'VIGIL_ERR_CSR_INVALID');
    assert.match(String(refused.detail.reason), /not the device id/);
    assert.equal((await inst.ctx.store.listCertificates({ subject: 'other-device' })).length, certsBefore);
    assert.equal((await inst.ctx.store.listCertificates({ subject: 'ren-cn-00001' })).length, 1);
  });

  it('an expired certificate cannot renew itself', async () => {
    const b = await inst.addDevice('ren-expired-1');
    const id = b.info.id;
    // Its certificate replaced by one that expired last year.
    const old = await issueClientCert({
      ca: inst.ctx.ca,
      commonName: id,
      kind: 'device',
      validityDays: 1,
      now: new Date(Date.now() - 400 * 86_400_000),
    });
    await inst.ctx.store.addCertificate({
      serial: normalizeSerial(old.serial),
      subject: id,
      kind: 'device',
      notBefore: old.notBefore,
      notAfter: old.notAfter,
      pem: old.certPem,
      revokedAt: null,
      revocationReason: null,
    });
    await inst.ctx.store.setDeviceCert(id, normalizeSerial(old.serial), old.notAfter, Date.now());
    await assert.rejects(
      connectDevice(inst.url, { ...b, cert: old.certPem, key: old.keyPkcs8Pem as string }),
      'TLS refuses the expired certificate',
    );
    await assert.rejects(renewal().renew(id, 'test'), /cannot renew itself/);
    assert.equal(await renewal().onCsr(id, await csrDer(id)), null);
    const refused = (await inst.ctx.store.queryAudit({ action: 'cert.csr_refused' })).find(
      (a) => a.object === id,
    );
    assert.equal(refused?.detail.code, 'VIGIL_ERR_DEVICE_STATE');
  });
});
