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
import { REPORT_FORMAT, type ShipmentReportInput } from './report-model.ts';

/**
 * Canonical JSON: object keys sorted by UTF-16 code unit order, no whitespace, `undefined`
 * members left out, numbers as ECMAScript prints them (the RFC 8785 number form; -0 prints as 0,
 * non-finite numbers as null).
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Map());
}

/**
 * `order` caches the sorted, quoted keys per key list: a report holds tens of thousands of
 * readings with the same keys, and sorting them once instead of per object is most of the speed.
 */
function write(v: unknown, order: Map<string, [string, string][]>): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null'; // String(-0) is '0'
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + write(v[i], order);
    return `${out}]`;
  }
  if (typeof v === 'object') {
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj);
    const id = keys.join('\u0000');
    let sorted = order.get(id);
    if (!sorted) {
      sorted = [...keys].sort().map((k) => [k, `${JSON.stringify(k)}:`]);
      order.set(id, sorted);
    }
    let out = '{';
    let first = true;
    for (const [k, quoted] of sorted) {
      const member = obj[k];
      if (member === undefined) continue;
      out += (first ? '' : ',') + quoted + write(member, order);
      first = false;
    }
    return `${out}}`;
  }
  throw new TypeError(`cannot hash a ${typeof v}`);
}

/** SHA-256 of the canonical JSON of `{ format, input }`. */
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
