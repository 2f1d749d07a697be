import { VigilError } from '../errors.ts';
import { loadCa } from './load-ca.ts';
import { toPem } from './pem.ts';
import { normalizeSerial } from './serial.ts';
import type { CaMaterial } from './types.ts';
import { checkNow, floorToSecond } from './validity.ts';
import { ECDSA_SHA256, x509 } from './x509.ts';

/** One revoked certificate as listed in the CRL. */
export interface RevokedEntry {
  /** Hex serial as issued (case and `:` separators ignored). */
  serial: string;
  /** Milliseconds since the Unix epoch. */
  revokedAt: number;
  /**
   * RFC 5280 §5.3.1 reason name, e.g. `keyCompromise`, `superseded`, `cessationOfOperation`
   * (also accepted as `key_compromise`, `key-compromise`). Other text is kept in the store only
   * and leaves the reasonCode out of the CRL, as §5.3.1 prefers to `unspecified`.
   */
  reason?: string;
}

/** Options of {@link createCrl}. */
export interface CreateCrlOptions {
  ca: CaMaterial;
  revoked: RevokedEntry[];
  now: Date;
  /** Hours until nextUpdate. Default 24. A verifier refuses every client once it has passed. */
  nextUpdateHours?: number;
  /** Monotonically increasing CRL number (RFC 5280 §5.2.3). */
  crlNumber: number;
}

// RFC 5280 §5.2.3
const OID_CRL_NUMBER = '2.5.29.20';

const REASONS: Record<string, x509.X509CrlReason> = {
  unspecified: x509.X509CrlReason.unspecified,
  keycompromise: x509.X509CrlReason.keyCompromise,
  cacompromise: x509.X509CrlReason.cACompromise,
  affiliationchanged: x509.X509CrlReason.affiliationChanged,
  superseded: x509.X509CrlReason.superseded,
  cessationofoperation: x509.X509CrlReason.cessationOfOperation,
  certificatehold: x509.X509CrlReason.certificateHold,
  privilegewithdrawn: x509.X509CrlReason.privilegeWithdrawn,
  aacompromise: x509.X509CrlReason.aACompromise,
};

/**
 * Builds an X.509 v2 CRL (RFC 5280 §5) signed by the CA, with the cRLNumber and
 * authorityKeyIdentifier extensions §5.2 requires. Returns PEM (`-----BEGIN X509 CRL-----`), as
 * `tls.createSecureContext({ crl })` and `openssl crl` take it.
 */
export async function createCrl(opts: CreateCrlOptions): Promise<string> {
  const { ca, revoked, now, nextUpdateHours = 24, crlNumber } = opts;
  const t = checkNow(now);
  if (!Number.isSafeInteger(crlNumber) || crlNumber < 0) {
    throw new VigilError('VIGIL_ERR_PKI', 'crlNumber must be a non-negative safe integer');
  }
  if (!Number.isFinite(nextUpdateHours) || nextUpdateHours <= 0 || nextUpdateHours > 24 * 366) {
    throw new VigilError('VIGIL_ERR_PKI', 'nextUpdateHours must be in (0, 8784]');
  }
  const loaded = await loadCa(ca);
  const entries: x509.X509CrlEntryParams[] = [];
  const seen = new Set<string>();
  for (const r of revoked) {
    const serial = normalizeSerial(String(r.serial));
    if (!serial) throw new VigilError('VIGIL_ERR_PKI', 'revoked serial must be hex');
    if (!Number.isFinite(r.revokedAt))
      throw new VigilError('VIGIL_ERR_PKI', `revokedAt of ${serial} is not a time`);
    if (seen.has(serial)) continue; // a serial appears at most once (RFC 5280 §5.1.2.6)
    seen.add(serial);
    const reason = reasonCode(r.reason);
    entries.push({
      serialNumber: serial,
      revocationDate: new Date(floorToSecond(r.revokedAt)),
      ...(reason === undefined ? {} : { reason }),
    });
  }
  const crl = await x509.X509CrlGenerator.create({
    issuer: loaded.cert.subjectName,
    thisUpdate: new Date(floorToSecond(t)),
    nextUpdate: new Date(floorToSecond(t + nextUpdateHours * 3_600_000)),
    signingKey: loaded.signingKey,
    signingAlgorithm: ECDSA_SHA256,
    entries,
    extensions: [
      new x509.AuthorityKeyIdentifierExtension(loaded.keyId),
      new x509.Extension(OID_CRL_NUMBER, false, derInteger(crlNumber)),
    ],
  });
  return toPem(crl.rawData, 'X509 CRL');
}

function reasonCode(reason: string | undefined): x509.X509CrlReason | undefined {
  if (!reason) return undefined;
  const code = REASONS[reason.toLowerCase().replace(/[^a-z]/g, '')];
  // §5.3.1: unspecified SHOULD NOT be used; the absent extension means the same.
  return code === x509.X509CrlReason.unspecified ? undefined : code;
}

/** DER INTEGER (X.690 §8.3) of a non-negative safe integer: minimal big-endian, 0x00 pad if the top bit is set. */
function derInteger(n: number): Uint8Array {
  const bytes: number[] = [];
  let v = BigInt(n);
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return Uint8Array.from([0x02, bytes.length, ...bytes]);
}
