import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { certInfo } from './cert-info.ts';
import { makeTestPki } from './test-pki.fixture.ts';
import { x509 } from './x509.ts';

describe('makeTestPki', () => {
  // How long this takes is for `npm run bench`, not for an assertion here (the machine may be busy).
  it('builds a CA, a loopback server certificate and client certificates', async () => {
    const pki = await makeTestPki({ hostNames: ['broker.test'] });
    const dev = await pki.client('truck-0042');
    const caCert = new X509Certificate(pki.ca.certPem);
    assert.equal(new X509Certificate(pki.server.certPem).checkIssued(caCert), true);
    assert.match(new X509Certificate(pki.server.certPem).subjectAltName ?? '', /DNS:broker\.test/);
    assert.equal(new X509Certificate(dev.certPem).checkIssued(caCert), true);
    assert.match(dev.keyPkcs8Pem, /PRIVATE KEY/);
    assert.equal(certInfo(dev.certPem).subjectCn, 'truck-0042');
  });

  it('issues expired client certificates and service certificates on request', async () => {
    const pki = await makeTestPki();
    const expired = await pki.client('truck-0042', { expired: true });
    assert.ok(expired.notAfter < Date.now() && expired.notBefore < expired.notAfter);
    const svc = await pki.client('ingest', { kind: 'service', validityDays: 2 });
    assert.match(new X509Certificate(svc.certPem).subject, /OU=service/);
  });

  it('gives a rogue CA with the same name but another key', async () => {
    const pki = await makeTestPki();
    const rogue = await pki.rogueCa();
    const caCert = new X509Certificate(pki.ca.certPem);
    const rogueCert = new X509Certificate(rogue.certPem);
    assert.equal(rogueCert.subject, caCert.subject);
    const impostor = new X509Certificate((await rogue.client('truck-0042')).certPem);
    assert.equal(impostor.verify(caCert.publicKey), false);
    assert.equal(impostor.verify(rogueCert.publicKey), true);
  });

  it('numbers successive CRLs upwards', async () => {
    const pki = await makeTestPki();
    const a = await pki.crl();
    const b = await pki.crl(['0a']);
    assert.notEqual(a, b);
    const num = (pem: string) => Buffer.from(new x509.X509Crl(pem).getExtension('2.5.29.20')!.value).at(-1);
    assert.equal(num(a), 1);
    assert.equal(num(b), 2);
  });
});
