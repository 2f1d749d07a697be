import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeSerial } from '../pki/serial.ts';
import { x509 } from '../pki/x509.ts';

/** The revoked serials of a (possibly multi-root) PEM CRL, canonical hex. */
export function crlSerials(pem: string): string[] {
  return splitCrls(pem).flatMap((c) =>
    (new x509.X509Crl(c).entries ?? []).map((e) => normalizeSerial(e.serialNumber)),
  );
}

function splitCrls(pem: string): string[] {
  return pem.match(/-----BEGIN X509 CRL-----[\s\S]+?-----END X509 CRL-----/g) ?? [];
}

/**
 * `pem` when it is a CRL signed by one of the trust anchors in `caPem`, else null: a CRL the
 * gateway cannot verify is never applied (it could only weaken revocation).
 */
export function verifiedCrl(pem: string, caPem: string): string | null {
  const crls = splitCrls(pem);
  if (crls.length === 0) return null;
  const anchors = (caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (c) => new x509.X509Certificate(c),
  );
  // Signature checks are async in WebCrypto; the issuer name match is checked here and the
  // signature by OpenSSL when the CRL is loaded into the TLS context (X509_V_FLAG_CRL_CHECK).
  for (const c of crls) {
    const crl = new x509.X509Crl(c);
    if (!anchors.some((a) => a.subject === crl.issuer)) return null;
  }
  return pem;
}

/** The device set and CRL last received from upstream (written by the gateway), or null. */
export function readLocalState(dataDir: string): { devices: string[]; crl: string } | null {
  const path = join(dataDir, 'upstream-config.json');
  if (!existsSync(path)) return null;
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as { devices?: unknown; crl?: unknown };
    if (!Array.isArray(v.devices)) return null;
    return {
      devices: v.devices.filter((d): d is string => typeof d === 'string'),
      crl: typeof v.crl === 'string' ? v.crl : '',
    };
  } catch {
    return null;
  }
}
