import { parseCertPem } from './pem.ts';
import { normalizeSerial } from './serial.ts';

/** The facts about a certificate the registry, CLI and broker need. */
export interface CertInfo {
  /** Lowercase hex without leading zeros, as `IssuedCert.serial` and the store use. */
  serial: string;
  subjectCn: string | null;
  issuerCn: string | null;
  /** Milliseconds since the Unix epoch. */
  notBefore: number;
  notAfter: number;
  /** SHA-256 fingerprint as node prints it (`AB:CD:...`), equal to `TLSSocket#getPeerCertificate().fingerprint256`. */
  fingerprint256: string;
}

/** Reads the first certificate of a PEM text with node's X509Certificate. */
export function certInfo(pem: string): CertInfo {
  const cert = parseCertPem(pem);
  return {
    serial: normalizeSerial(cert.serialNumber),
    subjectCn: cnOf(cert.subject),
    issuerCn: cnOf(cert.issuer),
    notBefore: cert.validFromDate.getTime(),
    notAfter: cert.validToDate.getTime(),
    fingerprint256: cert.fingerprint256,
  };
}

/** The (last, most specific) CN of node's one-attribute-per-line name text. */
function cnOf(name: string): string | null {
  let cn: string | null = null;
  for (const line of name.split('\n')) if (line.startsWith('CN=')) cn = line.slice(3);
  return cn;
}
