import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '../errors.ts';
import { certInfo, issueClientCert, normalizeSerial } from '../pki/index.ts';
import { type VigilContext, writeFileAtomic } from './context.ts';

/** A backend service's mTLS identity, opened in memory. */
export interface ServiceCert {
  name: string;
  certPem: string;
  /** PKCS#8 PEM, unsealed. A secret: never log it. */
  keyPem: string;
  serial: string;
  certPath: string;
  keySealedPath: string;
  /** True when this call issued it (first use, expiring, revoked, or from another CA). */
  issued: boolean;
}

/** Renew a service certificate this long before it expires. */
const RENEW_BEFORE_MS = 30 * 86_400_000;

/** Where a service's certificate and sealed key live: `<data-dir>/pki/<name>.crt`, `<name>.key.sealed`. */
export function serviceCertPaths(ctx: VigilContext, name: string): { cert: string; keySealed: string } {
  return {
    cert: join(ctx.paths.pkiDir, `${name}.crt`),
    keySealed: join(ctx.paths.pkiDir, `${name}.key.sealed`),
  };
}

/**
 * Loads the client certificate of backend service `name` (e.g. `vigil-ingest`), issuing it when it
 * is missing, expires within 30 days, was revoked, or was not issued by the current CA. The key is
 * kept sealed under the master key (`service-key`); the certificate is recorded as kind `service`.
 *
 * A service name must not be a device id: an external broker knows a client only by its
 * certificate CN, so a device named like a service would get the service's ACL.
 */
export async function ensureServiceCert(
  ctx: VigilContext,
  name: string,
  actor = 'system',
): Promise<ServiceCert> {
  if (await ctx.store.getDevice(name)) {
    throw new VigilError(
      'VIGIL_ERR_PKI',
      `"${name}" is a device id; a backend service cannot share its certificate name`,
    );
  }
  const p = serviceCertPaths(ctx, name);
  const now = ctx.clock();
  let replaced: string | null = null;
  if (existsSync(p.cert) && existsSync(p.keySealed)) {
    const certPem = readFileSync(p.cert, 'utf8');
    const info = certInfo(certPem);
    const rec = await ctx.store.getCertificate(normalizeSerial(info.serial));
    const x = new X509Certificate(certPem);
    const keyPem = ctx.master.open('service-key', readFileSync(p.keySealed), name).toString('utf8');
    if (
      rec &&
      rec.kind === 'service' &&
      rec.subject === name &&
      rec.revokedAt === null &&
      info.subjectCn === name &&
      info.notAfter - now > RENEW_BEFORE_MS &&
      x.verify(new X509Certificate(ctx.ca.certPem).publicKey) &&
      keyMatches(x, keyPem)
    ) {
      return {
        name,
        certPem,
        keyPem,
        serial: info.serial,
        certPath: p.cert,
        keySealedPath: p.keySealed,
        issued: false,
      };
    }
    replaced = info.serial;
  }
  const cert = await issueClientCert({
    ca: ctx.ca,
    commonName: name,
    kind: 'service',
    validityDays: ctx.config.pki.serverValidityDays,
    now: new Date(now),
  });
  const keyPem = cert.keyPkcs8Pem ?? '';
  // Key first: a crash in between leaves an old certificate whose key no longer matches, which
  // the next call replaces, never a new certificate with a missing key.
  writeFileAtomic(p.keySealed, ctx.master.seal('service-key', Buffer.from(keyPem, 'utf8'), name), 0o600);
  writeFileAtomic(p.cert, cert.certPem);
  await ctx.store.addCertificate({
    serial: cert.serial,
    subject: name,
    kind: 'service',
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    pem: cert.certPem,
    revokedAt: null,
    revocationReason: null,
  });
  await ctx.store.appendAudit({
    ts: now,
    actor,
    action: 'pki.service_cert.issue',
    object: name,
    detail: { serial: cert.serial, not_after: cert.notAfter, replaced },
  });
  return {
    name,
    certPem: cert.certPem,
    keyPem,
    serial: cert.serial,
    certPath: p.cert,
    keySealedPath: p.keySealed,
    issued: true,
  };
}

/** True when `keyPem` is the private key of `cert` (same SubjectPublicKeyInfo). */
function keyMatches(cert: X509Certificate, keyPem: string): boolean {
  try {
    const spki = (k: ReturnType<typeof createPublicKey>) => k.export({ format: 'der', type: 'spki' });
    return spki(createPublicKey(createPrivateKey(keyPem))).equals(spki(cert.publicKey));
  } catch {
    return false;
  }
}
