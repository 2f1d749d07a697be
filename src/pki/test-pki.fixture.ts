/**
 * In-memory PKI for tests (broker, e2e, ...): a CA, a server certificate for loopback and a way
 * to issue client certificates, including expired ones and ones from an unrelated CA.
 * Not for production use: nothing is persisted and keys are returned in clear.
 */
import { createCa } from './ca.ts';
import { createCrl, type RevokedEntry } from './crl.ts';
import { issueClientCert } from './issue-client.ts';
import { issueServerCert } from './issue-server.ts';
import type { ClientKind, CreatedCa, IssuedCert } from './types.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A test certificate always comes with its key. */
export interface TestCert extends IssuedCert {
  keyPkcs8Pem: string;
}

/** Options of a test client certificate. */
export interface TestClientOptions {
  /** Issue it with notBefore/notAfter in the past (notAfter = about a day ago). */
  expired?: boolean;
  /** Default 825 (or 1 when expired). */
  validityDays?: number;
  /** Default `device`. */
  kind?: ClientKind;
}

/** A CA that can issue client certificates. */
export interface TestCa extends CreatedCa {
  client(cn: string, opts?: TestClientOptions): Promise<TestCert>;
}

/** The fixture returned by {@link makeTestPki}. */
export interface TestPki extends TestCa {
  /** The CA itself, as `issue*` and `createCrl` take it. */
  ca: CreatedCa;
  /** `CN=vigil-server`, SAN localhost, 127.0.0.1, ::1 (plus `hostNames`/`ips`). */
  server: TestCert;
  /** A CRL of this CA listing `revoked` (serials or full entries); CRL number increases per call. */
  crl(revoked?: (string | RevokedEntry)[]): Promise<string>;
  /** A second, unrelated CA (same CN) whose certificates the first must refuse. */
  rogueCa(): Promise<TestCa>;
}

/** Options of {@link makeTestPki}. */
export interface TestPkiOptions {
  /** Extra server DNS names. */
  hostNames?: string[];
  /** Extra server IPs. */
  ips?: string[];
}

/** Builds a fresh test PKI (a few milliseconds). */
export async function makeTestPki(opts: TestPkiOptions = {}): Promise<TestPki> {
  const ca = await makeTestCa();
  const server = (await issueServerCert({
    ca,
    hostNames: opts.hostNames ?? [],
    ips: opts.ips ?? [],
    now: new Date(),
  })) as TestCert;
  let crlNumber = 0;
  return {
    ...ca,
    ca: { certPem: ca.certPem, keyPkcs8Pem: ca.keyPkcs8Pem, serial: ca.serial },
    server,
    crl(revoked = []) {
      const now = Date.now();
      crlNumber += 1;
      return createCrl({
        ca,
        now: new Date(now),
        crlNumber,
        revoked: revoked.map((r) => (typeof r === 'string' ? { serial: r, revokedAt: now } : r)),
      });
    },
    rogueCa: makeTestCa,
  };
}

async function makeTestCa(): Promise<TestCa> {
  const created = await createCa({ now: new Date() });
  // One object for every issuance, so the loaded CA key is cached.
  const material = { certPem: created.certPem, keyPkcs8Pem: created.keyPkcs8Pem };
  return {
    ...created,
    async client(cn, o = {}) {
      const validityDays = o.validityDays ?? (o.expired ? 1 : 825);
      const now = o.expired ? new Date(Date.now() - (validityDays + 1) * DAY_MS) : new Date();
      return (await issueClientCert({
        ca: material,
        commonName: cn,
        kind: o.kind ?? 'device',
        validityDays,
        now,
      })) as TestCert;
    },
  };
}
