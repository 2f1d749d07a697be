/**
 * The report's content hash and the short verification code printed on it.
 *
 * Why the code comes from the input and not from the file: the code is printed inside the PDF,
 * and so lies inside the bytes the signature covers; a hash of the file cannot appear in the file
 * it hashes. So the code identifies the report CONTENT (SHA-256 over the canonical JSON of the
 * input, below) and is the same for the PDF and the CSV of one input, while the signature
 * appended to each file proves the integrity of that FILE (signing.ts). An inspector checks the
 * file with `vigil report verify`, and can quote the code to ask the issuer about the report.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.ts';
import { REPORT_FORMAT, type ShipmentReportInput } from './report-model.ts';

/** SHA-256 of the RFC 8785 canonical JSON of `{ format, input }`. */
export function reportContentHash(input: ShipmentReportInput): Buffer {
  return createHash('sha256')
    .update(canonicalJson({ format: REPORT_FORMAT, input }))
    .digest();
}

/** 16 base64url characters (96 bits) of a content hash, in groups of four: `AbC9 x-Yz 0_kP QrSt`. */
export function formatVerificationCode(contentHash: Uint8Array): string {
  const s = Buffer.from(contentHash).toString('base64url').slice(0, 16);
  return s.match(/.{4}/g)?.join(' ') ?? s;
}

/** The verification code of a report input. */
export function verificationCode(input: ShipmentReportInput): string {
  return formatVerificationCode(reportContentHash(input));
}
