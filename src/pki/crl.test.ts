import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSecureContext } from 'node:tls';
import { isVigilError } from '../errors.ts';
import { createCa } from './ca.ts';
import { createCrl } from './crl.ts';
import { issueClientCert } from './issue-client.ts';
import type { CreatedCa, IssuedCert } from './types.ts';
import { x509 } from './x509.ts';

const OPENSSL = '/usr/bin/openssl';
const NOW = new Date('2026-03-01T12:00:00Z');

function openssl(args: string[]): string {
  return execFileSync(OPENSSL, args, {
    encoding: 'utf8',
    timeout: 10_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('createCrl', () => {
  let dir: string;
  let ca: CreatedCa;
  let dev: IssuedCert;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-crl-'));
    ca = await createCa({ now: NOW });
    dev = await issueClientCert({ ca, commonName: 'truck-0042', kind: 'device', now: NOW });
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('produces a v2 CRL that openssl parses and that lists the revoked serial', async () => {
    const pem = await createCrl({
      ca,
      now: NOW,
      crlNumber: 7,
      revoked: [{ serial: dev.serial, revokedAt: NOW.getTime() - 60_000, reason: 'keyCompromise' }],
    });
    assert.match(pem, /^-----BEGIN X509 CRL-----\n/);
    const file = join(dir, 'one.crl');
    writeFileSync(file, pem);
    const text = openssl(['crl', '-inform', 'PEM', '-in', file, '-noout', '-text']);
    assert.match(text, /Version 2 \(0x1\)/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(text, /Issuer: O ?= ?Vigil, CN ?= ?Vigil Root CA/);
    assert.match(text, /X509v3 CRL Number:\s*\n\s*7\b/);
    assert.match(text, /X509v3 Authority Key Identifier/);
    assert.match(text, new RegExp(`Serial Number: ${dev.serial.toUpperCase()}`));
    assert.match(text, /Key Compromise/);
    assert.match(text, /Last Update: Mar {2}1 12:00:00 2026 GMT/);
    assert.match(text, /Next Update: Mar {2}2 12:00:00 2026 GMT/);
  });

  it('is signed by the CA (openssl crl -verify)', async () => {
    const file = join(dir, 'verify.crl');
    writeFileSync(file, await createCrl({ ca, now: NOW, crlNumber: 1, revoked: [] }));
    const out = execFileSync(
      OPENSSL,
      ['crl', '-in', file, '-noout', '-CAfile', join(dir, 'ca.pem'), '-verify'],
      {
        encoding: 'utf8',
        timeout: 10_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    assert.equal(out, ''); // "verify OK" goes to stderr; a failure throws
  });

  it('has an authorityKeyIdentifier equal to the CA subjectKeyIdentifier', async () => {
    const crl = new x509.X509Crl(await createCrl({ ca, now: NOW, crlNumber: 1, revoked: [] }));
    const caKeyId = new x509.X509Certificate(ca.certPem).getExtension(
      x509.SubjectKeyIdentifierExtension,
    )?.keyId;
    assert.equal(crl.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, caKeyId);
    assert.equal(await crl.verify({ publicKey: new x509.X509Certificate(ca.certPem).publicKey }), true);
  });

  it('is accepted by tls.createSecureContext', async () => {
    const crl = await createCrl({
      ca,
      now: NOW,
      crlNumber: 2,
      revoked: [{ serial: dev.serial, revokedAt: 0 }],
    });
    assert.doesNotThrow(() => createSecureContext({ ca: ca.certPem, crl }));
  });

  it('lists a serial once, accepts any case and separators, and omits unknown reasons', async () => {
    const upper = dev.serial.toUpperCase().match(/../g)!.join(':');
    const crl = new x509.X509Crl(
      await createCrl({
        ca,
        now: NOW,
        crlNumber: 3,
        revoked: [
          { serial: dev.serial, revokedAt: NOW.getTime(), reason: 'device lost' },
          { serial: upper, revokedAt: NOW.getTime() },
          { serial: '0a', revokedAt: NOW.getTime(), reason: 'cessation_of_operation' },
        ],
      }),
    );
    assert.equal(crl.entries.length, 2);
    assert.equal(crl.findRevoked(dev.serial)?.reason, undefined);
    assert.equal(crl.findRevoked('0a')?.reason, x509.X509CrlReason.cessationOfOperation);
  });

  it('encodes large CRL numbers as positive integers', async () => {
    const file = join(dir, 'big.crl');
    writeFileSync(file, await createCrl({ ca, now: NOW, crlNumber: 128, revoked: [] }));
    assert.match(openssl(['crl', '-in', file, '-noout', '-crlnumber']), /crlNumber=0x80/);
    writeFileSync(file, await createCrl({ ca, now: NOW, crlNumber: 2 ** 40, revoked: [] }));
    assert.match(openssl(['crl', '-in', file, '-noout', '-crlnumber']), /crlNumber=0x0?10000000000\n/);
  });

  it('rejects a bad CRL number, a bad serial and a bad nextUpdate', async () => {
    for (const opts of [
      { crlNumber: -1, revoked: [] },
      { crlNumber: 1.5, revoked: [] },
      { crlNumber: 1, revoked: [{ serial: 'xyz', revokedAt: 0 }] },
      { crlNumber: 1, revoked: [], nextUpdateHours: 0 },
    ]) {
      await assert.rejects(createCrl({ ca, now: NOW, ...opts }), (err) => isVigilError(err, 'VIGIL_ERR_PKI'));
    }
  });
});
