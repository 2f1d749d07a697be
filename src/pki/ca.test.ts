import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { createCa } from './ca.ts';
import { certInfo } from './cert-info.ts';
import { x509 } from './x509.ts';

const NOW = new Date('2026-03-01T12:00:00.500Z');

describe('createCa', () => {
  it('creates a self-signed ECDSA P-256 root that can sign certificates and CRLs only', async () => {
    const ca = await createCa({ now: NOW });
    const cert = new X509Certificate(ca.certPem);
    assert.equal(cert.ca, true);
    assert.equal(cert.checkIssued(cert), true);
    assert.equal(cert.verify(cert.publicKey), true);
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(certInfo(ca.certPem).subjectCn, 'Vigil Root CA');

    const parsed = new x509.X509Certificate(ca.certPem);
    const bc = parsed.getExtension(x509.BasicConstraintsExtension);
    assert.ok(bc);
    assert.equal(bc.critical, true);
    assert.equal(bc.ca, true);
    assert.equal(bc.pathLength, 0);
    const ku = parsed.getExtension(x509.KeyUsagesExtension);
    assert.ok(ku);
    assert.equal(ku.critical, true);
    assert.equal(ku.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    assert.ok(parsed.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
  });

  it('back-dates notBefore by five minutes and lasts validityDays', async () => {
    const ca = await createCa({ now: NOW, validityDays: 10, commonName: 'Test Root' });
    const info = certInfo(ca.certPem);
    assert.equal(info.notBefore, Date.parse('2026-03-01T11:55:00Z'));
    assert.equal(info.notAfter, Date.parse('2026-03-11T12:00:00Z'));
    assert.equal(info.subjectCn, 'Test Root');
    assert.equal(info.issuerCn, 'Test Root');
  });

  it('returns a positive 16-byte hex serial equal to the certificate serial', async () => {
    const ca = await createCa({ now: NOW });
    assert.match(ca.serial, /^[0-7][0-9a-f]{31}$/);
    assert.notEqual(ca.serial.slice(0, 2), '00');
    assert.equal(certInfo(ca.certPem).serial, ca.serial);
  });

  it('returns the private key as PKCS#8 PEM', async () => {
    const ca = await createCa({ now: NOW });
    assert.match(ca.keyPkcs8Pem, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
  });

  it('rejects an empty common name, a bad validity and an invalid date', async () => {
    const bad = [
      { now: NOW, commonName: '' },
      { now: NOW, validityDays: 0 },
      { now: NOW, validityDays: 1.5 },
      { now: new Date(Number.NaN) },
    ];
    for (const opts of bad) {
      await assert.rejects(createCa(opts), (err) => isVigilError(err, 'VIGIL_ERR_PKI'));
    }
  });
});
