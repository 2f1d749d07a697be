import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { createCa } from './ca.ts';
import { certInfo } from './cert-info.ts';
import { issueClientCert } from './issue-client.ts';
import { issueServerCert } from './issue-server.ts';
import type { CreatedCa } from './types.ts';
import { ECDSA_SHA256, subtle, type WebCryptoKeyPair, x509 } from './x509.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

async function makeCsr(curve: 'P-256' | 'P-384' = 'P-256', cn = 'truck-0042'): Promise<string> {
  const keys = (await subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, [
    'sign',
    'verify',
  ])) as WebCryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${cn}`,
    keys,
    signingAlgorithm: ECDSA_SHA256,
  });
  return csr.toString('pem');
}

describe('issueServerCert', () => {
  let ca: CreatedCa;
  before(async () => {
    ca = await createCa({ now: NOW });
  });

  it('issues a certificate that verifies against the CA', async () => {
    const srv = await issueServerCert({ ca, hostNames: [], ips: [], now: NOW });
    const cert = new X509Certificate(srv.certPem);
    const caCert = new X509Certificate(ca.certPem);
    assert.equal(cert.checkIssued(caCert), true);
    assert.equal(cert.verify(caCert.publicKey), true);
    assert.equal(cert.ca, false);
    assert.equal(certInfo(srv.certPem).subjectCn, 'vigil-server');
    assert.equal(certInfo(srv.certPem).issuerCn, 'Vigil Root CA');
    assert.deepEqual(cert.keyUsage, [SERVER_AUTH]);
  });

  it('always carries localhost, 127.0.0.1 and ::1 in the SAN, without duplicates', async () => {
    const srv = await issueServerCert({
      ca,
      hostNames: ['localhost', 'Vigil.Example.org', 'vigil.example.org'],
      ips: ['127.0.0.1', '0:0:0:0:0:0:0:1', '10.1.2.3'],
      now: NOW,
    });
    const san = new X509Certificate(srv.certPem).subjectAltName?.split(', ') ?? [];
    assert.deepEqual(san, [
      'DNS:localhost',
      'DNS:vigil.example.org',
      'IP Address:127.0.0.1',
      'IP Address:0:0:0:0:0:0:0:1',
      'IP Address:10.1.2.3',
    ]);
    const cert = new X509Certificate(srv.certPem);
    assert.equal(cert.checkHost('localhost'), 'localhost');
    assert.equal(cert.checkIP('::1'), '::1');
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  });

  it('has digitalSignature key usage, CA:false, and an AKI equal to the CA key id', async () => {
    const srv = await issueServerCert({ ca, hostNames: [], ips: [], now: NOW });
    const parsed = new x509.X509Certificate(srv.certPem);
    assert.equal(parsed.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);
    assert.equal(parsed.getExtension(x509.BasicConstraintsExtension)?.ca, false);
    const caKeyId = new x509.X509Certificate(ca.certPem).getExtension(
      x509.SubjectKeyIdentifierExtension,
    )?.keyId;
    assert.ok(caKeyId);
    assert.equal(parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, caKeyId);
  });

  it('defaults to 397 days and back-dates notBefore by five minutes', async () => {
    const srv = await issueServerCert({ ca, hostNames: [], ips: [], now: NOW });
    assert.equal(srv.notBefore, NOW.getTime() - 5 * 60_000);
    assert.equal(srv.notAfter, NOW.getTime() + 397 * 86_400_000);
    const info = certInfo(srv.certPem);
    assert.equal(info.notBefore, srv.notBefore);
    assert.equal(info.notAfter, srv.notAfter);
    assert.equal(info.serial, srv.serial);
    assert.match(srv.keyPkcs8Pem ?? '', /^-----BEGIN PRIVATE KEY-----/);
  });

  it('rejects a malformed host name or IP', async () => {
    for (const [hostNames, ips] of [
      [['bad host'], []],
      [['-x.example'], []],
      [[], ['300.1.1.1']],
      [[], ['fe80::1%eth0']],
    ] as const) {
      await assert.rejects(
        issueServerCert({ ca, hostNames: [...hostNames], ips: [...ips], now: NOW }),
        (err) => isVigilError(err, 'VIGIL_ERR_PKI'),
      );
    }
  });

  it('refuses a CA whose key does not match its certificate', async () => {
    const other = await createCa({ now: NOW });
    await assert.rejects(
      issueServerCert({
        ca: { certPem: ca.certPem, keyPkcs8Pem: other.keyPkcs8Pem },
        hostNames: [],
        ips: [],
        now: NOW,
      }),
      (err) => isVigilError(err, 'VIGIL_ERR_PKI') && /does not match/.test(err.message),
    );
  });

  it('refuses to issue from an expired CA and never outlives its CA', async () => {
    const shortCa = await createCa({ now: NOW, validityDays: 30 });
    const srv = await issueServerCert({ ca: shortCa, hostNames: [], ips: [], now: NOW });
    assert.equal(srv.notAfter, certInfo(shortCa.certPem).notAfter);
    await assert.rejects(
      issueServerCert({
        ca: shortCa,
        hostNames: [],
        ips: [],
        now: new Date(NOW.getTime() + 31 * 86_400_000),
      }),
      (err) => isVigilError(err, 'VIGIL_ERR_PKI') && /expired/.test(err.message),
    );
  });
});

describe('issueClientCert', () => {
  let ca: CreatedCa;
  before(async () => {
    ca = await createCa({ now: NOW });
  });

  it('issues a device certificate with clientAuth EKU and the device id as CN', async () => {
    const dev = await issueClientCert({ ca, commonName: 'truck-0042', kind: 'device', now: NOW });
    const cert = new X509Certificate(dev.certPem);
    assert.deepEqual(cert.keyUsage, [CLIENT_AUTH]);
    assert.equal(cert.checkIssued(new X509Certificate(ca.certPem)), true);
    assert.equal(cert.verify(new X509Certificate(ca.certPem).publicKey), true);
    assert.equal(cert.subject, 'O=Vigil\nOU=device\nCN=truck-0042');
    assert.equal(cert.subjectAltName, undefined);
    const parsed = new x509.X509Certificate(dev.certPem);
    assert.equal(parsed.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);
    assert.equal(dev.notAfter, NOW.getTime() + 825 * 86_400_000);
    assert.equal(certInfo(dev.certPem).serial, dev.serial);
    // the returned key belongs to the certificate
    const key = createPrivateKey(dev.keyPkcs8Pem ?? '');
    assert.equal(cert.checkPrivateKey(key), true);
  });

  it('marks service certificates with OU=service', async () => {
    const svc = await issueClientCert({
      ca,
      commonName: 'ingest-1',
      kind: 'service',
      now: NOW,
      validityDays: 30,
    });
    assert.equal(new X509Certificate(svc.certPem).subject, 'O=Vigil\nOU=service\nCN=ingest-1');
    assert.equal(svc.notAfter, NOW.getTime() + 30 * 86_400_000);
  });

  it('rejects a device id outside ^[a-z0-9][a-z0-9-]{2,63}$', async () => {
    for (const id of ['ab', 'Truck-1', '-truck', 'truck_1', `a${'b'.repeat(64)}`, 'truck 1', 'CN=x,O=y']) {
      await assert.rejects(issueClientCert({ ca, commonName: id, kind: 'device', now: NOW }), (err) =>
        isVigilError(err, 'VIGIL_ERR_DEVICE_ID'),
      );
    }
    await assert.rejects(issueClientCert({ ca, commonName: 'Ingest', kind: 'service', now: NOW }), (err) =>
      isVigilError(err, 'VIGIL_ERR_PKI'),
    );
  });

  it('issues from a CSR: certifies the CSR key, returns no private key, ignores the CSR subject', async () => {
    const csrPem = await makeCsr('P-256', 'someone-else');
    const dev = await issueClientCert({ ca, commonName: 'probe-007', kind: 'device', now: NOW, csrPem });
    assert.equal(dev.keyPkcs8Pem, undefined);
    const cert = new X509Certificate(dev.certPem);
    assert.equal(certInfo(dev.certPem).subjectCn, 'probe-007');
    assert.deepEqual(cert.keyUsage, [CLIENT_AUTH]);
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    const spki = Buffer.from(csr.publicKey.rawData);
    assert.ok(spki.equals(cert.publicKey.export({ type: 'spki', format: 'der' })));
  });

  it('rejects a CSR whose signature does not verify', async () => {
    const csrPem = await makeCsr();
    const der = Buffer.from(new x509.Pkcs10CertificateRequest(csrPem).rawData);
    der[der.length - 5]! ^= 0x01; // flip a bit inside the signature
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await assert.rejects(
      issueClientCert({ ca, commonName: 'probe-007', kind: 'device', now: NOW, csrPem: tampered }),
      (err) => isVigilError(err, 'VIGIL_ERR_PKI') && /signature is invalid/.test(err.message),
    );
  });

  it('rejects a CSR with a non-P-256 key and text that is not a CSR', async () => {
    for (const csrPem of [await makeCsr('P-384'), 'garbage', ca.certPem]) {
      await assert.rejects(
        issueClientCert({ ca, commonName: 'probe-007', kind: 'device', now: NOW, csrPem }),
        (err) => isVigilError(err, 'VIGIL_ERR_PKI'),
      );
    }
  });

  it('gives every certificate a distinct serial', async () => {
    const serials = new Set<string>();
    for (let i = 0; i < 10; i++) {
      serials.add((await issueClientCert({ ca, commonName: 'truck-0042', kind: 'device', now: NOW })).serial);
    }
    assert.equal(serials.size, 10);
  });
});
