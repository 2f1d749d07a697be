/**
 * Report signatures: Ed25519 (RFC 8032, pure, over the exact file bytes) with one report-signing
 * key per data directory, generated on first use. The private key is stored only sealed under the
 * master key (`pki/report-signing.key.sealed`, purpose `report-key`); the public key is written in
 * clear to `pki/report-signing.pub` (SPKI PEM) so reports can be checked without the master key.
 *
 * Where the signature goes, so that any change to any byte is detected:
 * - CSV: a last line `# vigil-report-signature: <base64url>` CRLF; the signature covers every byte
 *   before that line.
 * - PDF: a comment line `%vigil-report-signature:<base64url>` LF after the final `%%EOF` LF; the
 *   signature covers every byte before it. PDF readers ignore comments after %%EOF (ISO 32000-1
 *   §7.5.5 puts the end-of-file marker last; trailing data is tolerated), and a signature cannot
 *   live inside the bytes it signs.
 * The verifier accepts exactly one canonical 86-character signature followed by exactly the line
 * end, and nothing after it, so appending, truncating or re-encoding anything fails.
 *
 * Checking by hand: strip the signature line into `signed.bin`, base64url-decode the signature
 * into `sig.bin`, then `openssl pkeyutl -verify -pubin -inkey report-signing.pub -rawin
 * -in signed.bin -sigfile sig.bin`.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.ts';
import { VigilError } from '../errors.ts';
import type { MasterKey } from '../keys/master-key.ts';

export type ReportFormat = 'pdf' | 'csv';

/** The identity the report-signing key is sealed to (MasterKey.seal). */
export const REPORT_KEY_IDENTITY = 'report-signing';

/** Signs report bytes; the private key never leaves it. */
export interface ReportSigner {
  /** SPKI PEM of the Ed25519 public key. */
  readonly publicKeyPem: string;
  /** `SHA256:` + unpadded base64 of SHA-256 over the DER public key (SPKI). */
  readonly fingerprint: string;
  /** The 64-byte Ed25519 signature of `data`. */
  sign(data: Uint8Array): Buffer;
}

/** The outcome of {@link verifyReport}. */
export type ReportVerification =
  | {
      readonly ok: true;
      readonly format: ReportFormat;
      readonly fingerprint: string;
      readonly signedBytes: number;
    }
  | {
      readonly ok: false;
      /**
       * `tampered`: a Vigil report (it carries a Vigil signature line or header) whose bytes or
       * signature do not check. `not-a-report`: no mark of a Vigil report at all, so nothing was
       * there to verify (a different file, a report from another system).
       */
      readonly verdict: 'tampered' | 'not-a-report';
      readonly reason: string;
    };

const SIG_LEN = 64;
const SIG_B64_LEN = 86; // ceil(64 * 8 / 6), unpadded
const CSV_PREFIX = '# vigil-report-signature: ';
const PDF_PREFIX = '%vigil-report-signature:';
const PDF_EOF = Buffer.from('%%EOF\n', 'latin1');

/** Where the report-signing key lives inside `pkiDir`. */
export function reportKeyPaths(pkiDir: string): { sealedKey: string; publicKey: string } {
  return {
    sealedKey: join(pkiDir, 'report-signing.key.sealed'),
    publicKey: join(pkiDir, 'report-signing.pub'),
  };
}

/** `SHA256:<base64>` of the DER SubjectPublicKeyInfo. */
export function keyFingerprint(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  const der = key.export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
}

/** A signer over an Ed25519 private key held in memory (tests, or after opening the sealed key). */
export function reportSignerFromKey(privateKey: KeyObject): ReportSigner {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new VigilError('VIGIL_ERR_PKI', 'the report-signing key must be Ed25519');
  }
  const pub = createPublicKey(privateKey);
  return {
    publicKeyPem: pub.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprint: keyFingerprint(pub),
    sign: (data) => sign(null, data, privateKey),
  };
}

/**
 * Opens the data directory's report-signing key, generating it on first use. Safe against a
 * concurrent first use by another process: the sealed key is created with a hard link, which
 * fails if the file exists, and the loser loads the winner's key.
 */
export function loadOrCreateReportSigner(pkiDir: string, master: MasterKey): ReportSigner {
  const paths = reportKeyPaths(pkiDir);
  if (!existsSync(paths.sealedKey)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    // A random, exclusively created name (never a predictable one another user could plant).
    const tmp = `${paths.sealedKey}.${randomBytes(8).toString('hex')}.tmp`;
    writeFileSync(tmp, master.seal('report-key', Buffer.from(pem, 'utf8'), REPORT_KEY_IDENTITY), {
      mode: 0o600,
      flag: 'wx',
    });
    try {
      linkSync(tmp, paths.sealedKey);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new VigilError(
          'VIGIL_ERR_DATA_DIR',
          `cannot write ${paths.sealedKey}: ${(err as Error).message}`,
        );
      }
    } finally {
      unlinkSync(tmp);
    }
  }
  const pem = master.open('report-key', readFileSync(paths.sealedKey), REPORT_KEY_IDENTITY).toString('utf8');
  const signer = reportSignerFromKey(createPrivateKey(pem));
  // the private key is the source of truth: (re)write the public key when missing or different
  if (!existsSync(paths.publicKey) || readFileSync(paths.publicKey, 'utf8') !== signer.publicKeyPem) {
    writeFileAtomic(paths.publicKey, signer.publicKeyPem, 0o644);
  }
  return signer;
}

/** Reads the public report-signing key of a data directory (no master key needed). */
export function readReportPublicKey(pkiDir: string): KeyObject {
  const path = reportKeyPaths(pkiDir).publicKey;
  if (!existsSync(path)) {
    throw new VigilError('VIGIL_ERR_NOT_FOUND', `no report-signing key at ${path} (no report signed yet?)`);
  }
  return parsePublicKey(readFileSync(path, 'utf8'), path);
}

/** Parses an Ed25519 public key PEM. */
export function parsePublicKey(pem: string, source = 'public key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (cause) {
    throw new VigilError('VIGIL_ERR_PKI', `${source}: not a PEM public key`, { cause });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new VigilError('VIGIL_ERR_PKI', `${source}: not an Ed25519 key`);
  }
  return key;
}

/** The format a report's bytes claim to be: PDF by its header, CSV otherwise. */
export function reportFormatOf(bytes: Uint8Array): ReportFormat {
  return Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-' ? 'pdf' : 'csv';
}

/** Appends the signature line to an unsigned report. */
export function signReport(unsigned: Uint8Array, format: ReportFormat, signer: ReportSigner): Buffer {
  const body = Buffer.from(unsigned);
  if (format === 'pdf' && !body.subarray(body.length - PDF_EOF.length).equals(PDF_EOF)) {
    throw new VigilError('VIGIL_ERR_INTERNAL', 'a PDF report must end with %%EOF and a line feed');
  }
  if (format === 'csv' && body.length > 0 && body[body.length - 1] !== 0x0a) {
    throw new VigilError('VIGIL_ERR_INTERNAL', 'a CSV report must end with a line end');
  }
  const sig = signer.sign(body).toString('base64url');
  const line = format === 'pdf' ? `${PDF_PREFIX}${sig}\n` : `${CSV_PREFIX}${sig}\r\n`;
  return Buffer.concat([body, Buffer.from(line, 'latin1')]);
}

/** Splits a signed report into the signed bytes and the signature; null when malformed. */
function splitSigned(bytes: Buffer, format: ReportFormat): { signed: Buffer; signature: Buffer } | null {
  const prefix = Buffer.from(format === 'pdf' ? `\n${PDF_PREFIX}` : `\n${CSV_PREFIX}`, 'latin1');
  const eol = format === 'pdf' ? '\n' : '\r\n';
  const at = bytes.lastIndexOf(prefix);
  if (at < 0) return null;
  const signed = bytes.subarray(0, at + 1);
  const tail = bytes.subarray(at + prefix.length).toString('latin1');
  if (tail.length !== SIG_B64_LEN + eol.length || !tail.endsWith(eol)) return null;
  const b64 = tail.slice(0, SIG_B64_LEN);
  if (!/^[A-Za-z0-9_-]+$/.test(b64)) return null;
  const signature = Buffer.from(b64, 'base64url');
  // the last character carries 4 unused bits: only the canonical encoding is accepted
  if (signature.length !== SIG_LEN || signature.toString('base64url') !== b64) return null;
  if (format === 'pdf' && !signed.subarray(signed.length - PDF_EOF.length).equals(PDF_EOF)) return null;
  return { signed, signature };
}

/** What the renderers write at the top of a CSV report (csv.ts) and into a PDF's info dictionary (pdf.ts). */
const CSV_HEADER = '# Vigil shipment temperature report\r\n';
const PDF_INFO_KEY = '/VigilVerificationCode ';

/**
 * True when the bytes carry a mark of a Vigil report: a signature line (even a damaged one), or
 * the header the renderers write. A report whose signature was cut off still has its header, and
 * so is reported as tampered, never as "not a report".
 */
export function looksLikeVigilReport(bytes: Buffer): boolean {
  if (bytes.includes(PDF_PREFIX, 0, 'latin1') || bytes.includes(CSV_PREFIX, 0, 'latin1')) return true;
  return reportFormatOf(bytes) === 'pdf'
    ? bytes.includes(PDF_INFO_KEY, 0, 'latin1')
    : bytes.subarray(0, CSV_HEADER.length).toString('latin1') === CSV_HEADER ||
        bytes.subarray(3, 3 + CSV_HEADER.length).toString('latin1') === CSV_HEADER; // after a UTF-8 BOM
}

/** Checks a signed report against a public key. Never throws for bad input. */
export function verifyReport(bytes: Uint8Array, publicKey: KeyObject): ReportVerification {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = reportFormatOf(buf);
  const parts = splitSigned(buf, format);
  if (!parts) {
    return looksLikeVigilReport(buf)
      ? { ok: false, verdict: 'tampered', reason: 'no valid signature line' }
      : {
          ok: false,
          verdict: 'not-a-report',
          reason: 'it has no Vigil report signature and no Vigil report header',
        };
  }
  let good = false;
  try {
    good = verify(null, parts.signed, publicKey, parts.signature);
  } catch {
    good = false;
  }
  if (!good) return { ok: false, verdict: 'tampered', reason: 'signature does not match the content' };
  return { ok: true, format, fingerprint: keyFingerprint(publicKey), signedBytes: parts.signed.length };
}
