/**
 * Reads the verification code a signed report carries, so `vigil report verify` can show it next
 * to the verdict (an inspector compares it with the code printed on the report). Only meaningful
 * once the signature has been checked: the code is inside the signed bytes.
 */
import { reportFormatOf } from './signing.ts';
import { VERIFICATION_CODE_PATTERN } from './verification-code.ts';

// Reports of format 2 and before printed 16 base64url characters in groups of four; they stay
// readable so an older report still shows its code.
const LEGACY_CODE = '[A-Za-z0-9_-]{4}(?: [A-Za-z0-9_-]{4}){3}';
const CODE = `${VERIFICATION_CODE_PATTERN}|${LEGACY_CODE}`;
const FINGERPRINT = 'SHA256:[A-Za-z0-9+/]{43}';

/** The verification code in a PDF's info dictionary or a CSV's report section, if present. */
export function embeddedVerificationCode(bytes: Uint8Array): string | undefined {
  return embedded(bytes, 'verification_code', 'VigilVerificationCode', CODE);
}

/** The signing-key fingerprint a report states (CSV `signing_key`, PDF info `VigilSigningKey`). */
export function embeddedSigningKey(bytes: Uint8Array): string | undefined {
  return embedded(bytes, 'signing_key', 'VigilSigningKey', FINGERPRINT);
}

function embedded(bytes: Uint8Array, csvField: string, pdfKey: string, pattern: string): string | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (reportFormatOf(bytes) === 'csv') {
    return new RegExp(`\\r\\n${csvField},(${pattern})\\r\\n`).exec(text)?.[1];
  }
  // pdfkit writes each info value as an indirect object: /VigilVerificationCode 14 0 R ... 14 0 obj (code)
  const ref = new RegExp(`/${pdfKey} (\\d+) 0 R`).exec(text);
  if (!ref) return undefined;
  return new RegExp(`\\n${ref[1]} 0 obj\\n\\((${pattern})\\)\\nendobj`).exec(text)?.[1];
}
