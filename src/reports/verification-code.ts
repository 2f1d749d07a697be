/**
 * The report's content hash and the short verification code printed on it.
 *
 * Why the code comes from the input and not from the file: the code is printed inside the PDF,
 * and so lies inside the bytes the signature covers; a hash of the file cannot appear in the file
 * it hashes. So the code identifies the report CONTENT (SHA-256 over the canonical JSON of the
 * input, below) and is the same for the PDF and the CSV of one input, while the signature
 * appended to each file proves the integrity of that FILE (signing.ts). An inspector checks the
 * file with `vigil report verify`, and can quote the code to ask the issuer about the report.
 *
 * The code is read off paper and typed back, so it is written in Crockford's base32
 * (https://www.crockford.com/base32.html): digits and capital letters without I, L, O and U, so
 * no two characters look alike; on input, case is ignored, I and L read as 1 and O as 0.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.ts';
import { REPORT_FORMAT, type ShipmentReportInput } from './report-model.ts';

/** Crockford's base32 alphabet: 0-9 and A-Z without I, L, O, U. */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Characters in a code: 20 × 5 bits = 100 bits of the hash. */
const CODE_CHARS = 20;

/** A printed code: five groups of four, joined by hyphens (`7K3M-Q9TX-4HZP-0D2N-WB8R`). */
export const VERIFICATION_CODE_PATTERN = '[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){4}';

/** SHA-256 of the RFC 8785 canonical JSON of `{ format, input }`. */
export function reportContentHash(input: ShipmentReportInput): Buffer {
  return createHash('sha256')
    .update(canonicalJson({ format: REPORT_FORMAT, input }))
    .digest();
}

/** The first 100 bits of a content hash in Crockford base32, in groups of four. */
export function formatVerificationCode(contentHash: Uint8Array): string {
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const byte of contentHash) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < CODE_CHARS) {
      bits -= 5;
      out += CROCKFORD_ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
    if (out.length === CODE_CHARS) break;
  }
  return (out.match(/.{4}/g) as string[]).join('-');
}

/**
 * A code as a person typed it, in its printed form: case, spaces and hyphens ignored, I and L
 * read as 1 and O as 0 (Crockford's decoding rules). Null when it cannot be a code.
 */
export function normalizeVerificationCode(typed: string): string | null {
  const s = typed.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  if (s.length !== CODE_CHARS || [...s].some((c) => !CROCKFORD_ALPHABET.includes(c))) return null;
  return (s.match(/.{4}/g) as string[]).join('-');
}

/** The verification code of a report input. */
export function verificationCode(input: ShipmentReportInput): string {
  return formatVerificationCode(reportContentHash(input));
}
