import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { before, describe, it } from 'node:test';
import { connect, createServer, type SecureVersion, type TlsOptions } from 'node:tls';
import { createCrl } from './crl.ts';
import { makeTestPki, type TestCert, type TestPki } from './test-pki.fixture.ts';

interface Outcome {
  /** The strict server (requestCert + rejectUnauthorized) accepted the client: it got the greeting. */
  accepted: boolean;
  /** CN the strict server saw, when accepted. */
  peerCn: string | undefined;
  /**
   * Why OpenSSL rejects the certificate (`CERT_REVOKED`, `CERT_HAS_EXPIRED`, ...), as reported
   * by a twin server with rejectUnauthorized false: node's strict server destroys the socket
   * without telling why (its tlsClientError only says "socket hang up").
   */
  reason: string | undefined;
}

interface Attempt {
  greeted: boolean;
  authorized: boolean | undefined;
  authorizationError: string | undefined;
  peerCn: string | undefined;
}

const STEP_TIMEOUT_MS = 5_000;

/** One real TLS connection on 127.0.0.1 from a client presenting `client`, bounded in time. */
async function attempt(
  serverOpts: TlsOptions,
  caPem: string,
  client: TestCert,
  version: SecureVersion,
): Promise<Attempt> {
  const seen: Attempt = {
    greeted: false,
    authorized: undefined,
    authorizationError: undefined,
    peerCn: undefined,
  };
  const server = createServer({ ...serverOpts, minVersion: version, maxVersion: version }, (socket) => {
    seen.authorized = socket.authorized;
    seen.authorizationError = socket.authorizationError ? String(socket.authorizationError) : undefined;
    const cn = socket.getPeerCertificate().subject?.CN;
    seen.peerCn = Array.isArray(cn) ? cn[0] : cn;
    socket.end('welcome');
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    seen.greeted = await new Promise<boolean>((resolve) => {
      let data = '';
      // No servername: node then checks the server certificate against the IP SAN 127.0.0.1.
      const socket = connect({
        host: '127.0.0.1',
        port,
        ca: caPem,
        cert: client.certPem,
        key: client.keyPkcs8Pem,
        minVersion: version,
        maxVersion: version,
      });
      const timer = setTimeout(() => socket.destroy(), STEP_TIMEOUT_MS);
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        data += chunk;
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(data === 'welcome');
      });
    });
    return seen;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * A handshake against a node:tls server that requires a client certificate issued by the test
 * CA and not listed in the CRL (requestCert + rejectUnauthorized, ca, crl).
 */
async function handshake(
  pki: TestPki,
  client: TestCert,
  opts: { crl?: string; version?: SecureVersion } = {},
): Promise<Outcome> {
  const crl = opts.crl ?? (await pki.crl());
  const version = opts.version ?? 'TLSv1.3';
  const base: TlsOptions = {
    key: pki.server.keyPkcs8Pem,
    cert: pki.server.certPem,
    ca: pki.ca.certPem,
    crl,
    requestCert: true,
  };
  const strict = await attempt({ ...base, rejectUnauthorized: true }, pki.ca.certPem, client, version);
  const probe = await attempt({ ...base, rejectUnauthorized: false }, pki.ca.certPem, client, version);
  return {
    accepted: strict.greeted,
    peerCn: strict.peerCn,
    reason: probe.authorized ? undefined : probe.authorizationError,
  };
}

describe('mTLS with the Vigil PKI (real handshakes on 127.0.0.1)', () => {
  let pki: TestPki;
  before(async () => {
    pki = await makeTestPki();
  });

  it('accepts a valid device certificate', async () => {
    const good = await pki.client('truck-0042');
    const out = await handshake(pki, good);
    assert.equal(out.reason, undefined);
    assert.equal(out.accepted, true);
    assert.equal(out.peerCn, 'truck-0042');
  });

  it('accepts a valid certificate over TLS 1.2 as well', async () => {
    const good = await pki.client('truck-0043');
    const out = await handshake(pki, good, { version: 'TLSv1.2' });
    assert.equal(out.accepted, true);
  });

  it('refuses a revoked certificate and still accepts the others', async () => {
    const revoked = await pki.client('truck-0666');
    const other = await pki.client('truck-0667');
    const crl = await pki.crl([revoked.serial]);
    const out = await handshake(pki, revoked, { crl });
    assert.equal(out.accepted, false);
    assert.equal(out.reason, 'CERT_REVOKED');
    assert.equal((await handshake(pki, other, { crl })).accepted, true);
  });

  it('refuses a revoked certificate over TLS 1.2', async () => {
    const revoked = await pki.client('truck-0668');
    const crl = await pki.crl([revoked.serial]);
    const out = await handshake(pki, revoked, { crl, version: 'TLSv1.2' });
    assert.equal(out.accepted, false);
    assert.equal(out.reason, 'CERT_REVOKED');
  });

  it('refuses an expired certificate', async () => {
    const expired = await pki.client('truck-0042', { expired: true });
    assert.ok(expired.notAfter < Date.now());
    const out = await handshake(pki, expired);
    assert.equal(out.accepted, false);
    assert.equal(out.reason, 'CERT_HAS_EXPIRED');
  });

  it('refuses a certificate from an unrelated CA with the same name', async () => {
    const rogue = await pki.rogueCa();
    const impostor = await rogue.client('truck-0042');
    const out = await handshake(pki, impostor);
    assert.equal(out.accepted, false);
    // Same issuer name, different key: OpenSSL finds no issuer whose key verifies the signature.
    assert.match(out.reason ?? '', /^UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT_LOCALLY)$/);
  });

  it('refuses the server certificate used as a client certificate (no clientAuth EKU)', async () => {
    const out = await handshake(pki, pki.server);
    assert.equal(out.accepted, false);
    assert.equal(out.reason, 'INVALID_PURPOSE');
  });

  it('refuses every client once the CRL is past nextUpdate', async () => {
    const good = await pki.client('truck-0042');
    const stale = await createCrl({
      ca: pki.ca,
      now: new Date(Date.now() - 48 * 3_600_000),
      nextUpdateHours: 24,
      crlNumber: 99,
      revoked: [],
    });
    const out = await handshake(pki, good, { crl: stale });
    assert.equal(out.accepted, false);
    assert.equal(out.reason, 'CRL_HAS_EXPIRED');
  });
});
