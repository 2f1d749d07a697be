import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MasterKey } from '../keys/master-key.ts';
import { embeddedVerificationCode } from './embedded-code.ts';
import { generateShipmentReport } from './generate-shipment-report.ts';
import { syntheticReportInput } from './report-input.fixture.ts';
import {
  keyFingerprint,
  loadOrCreateReportSigner,
  REPORT_KEY_IDENTITY,
  readReportPublicKey,
  reportKeyPaths,
  reportSignerFromKey,
  signReport,
  verifyReport,
} from './signing.ts';
import { verificationCode } from './verification-code.ts';

const signer = reportSignerFromKey(generateKeyPairSync('ed25519').privateKey);
const pub = createPublicKey(signer.publicKeyPem);

/** The 30-day, 1-minute shipment with one heat excursion, and both signed reports of it. */
const input = syntheticReportInput();
const t0 = performance.now();
const pdf = generateShipmentReport(input, 'pdf', signer);
const pdfMs = performance.now() - t0;
const t1 = performance.now();
const csv = generateShipmentReport(input, 'csv', signer);
const csvMs = performance.now() - t1;

function flipped(b: Buffer, i: number, mask = 0x01): Buffer {
  const c = Buffer.from(b);
  c[i] = (c[i] as number) ^ mask;
  return c;
}

/** Positions to tamper with: both ends, an even spread through the body, and every signature byte. */
function positions(b: Buffer, sigLineLen: number, spread = 400): number[] {
  const out = new Set<number>();
  for (let i = 0; i < 64; i++) out.add(i);
  for (let k = 0; k < spread; k++) out.add(Math.floor((k / spread) * (b.length - sigLineLen)));
  for (let i = b.length - sigLineLen - 64; i < b.length; i++) out.add(i);
  return [...out].filter((i) => i >= 0 && i < b.length);
}

describe('signed reports', () => {
  it('a 30-day, 1-minute report verifies in both formats', (t) => {
    t.diagnostic(
      `${input.readings.length} readings: PDF ${pdfMs.toFixed(0)} ms (${pdf.length} bytes), CSV ${csvMs.toFixed(0)} ms (${csv.length} bytes)`,
    );
    for (const [bytes, format] of [
      [pdf, 'pdf'],
      [csv, 'csv'],
    ] as const) {
      const r = verifyReport(bytes, pub);
      assert.equal(r.ok, true, format);
      assert.ok(r.ok);
      assert.equal(r.format, format);
      assert.equal(r.fingerprint, signer.fingerprint);
      assert.equal(embeddedVerificationCode(bytes), verificationCode(input));
    }
    assert.match(
      csv.subarray(-130).toString('latin1'),
      /\r\n# vigil-report-signature: [A-Za-z0-9_-]{86}\r\n$/,
    );
    assert.match(
      pdf.subarray(-130).toString('latin1'),
      /\n%%EOF\n%vigil-report-signature:[A-Za-z0-9_-]{86}\n$/,
    );
  });

  it('is reproducible: the same input and key give the same bytes', () => {
    assert.ok(generateShipmentReport(input, 'pdf', signer).equals(pdf));
    assert.ok(generateShipmentReport(input, 'csv', signer).equals(csv));
  });

  it('detects one flipped bit anywhere in a PDF, body or signature', () => {
    const sigLine = '%vigil-report-signature:'.length + 86 + 1;
    for (const i of positions(pdf, sigLine)) {
      assert.equal(verifyReport(flipped(pdf, i), pub).ok, false, `PDF byte ${i} of ${pdf.length}`);
    }
  });

  it('detects one flipped bit anywhere in a CSV, body or signature', () => {
    const sigLine = '# vigil-report-signature: '.length + 86 + 2;
    for (const i of positions(csv, sigLine)) {
      assert.equal(verifyReport(flipped(csv, i), pub).ok, false, `CSV byte ${i} of ${csv.length}`);
    }
  });

  it('detects a changed reading value that keeps the file length', () => {
    const text = csv.toString('latin1');
    const at = text.indexOf('\r\n', text.indexOf('# readings') + 30) + 2; // second reading row
    const row = text.slice(at, text.indexOf('\r\n', at));
    const edited = row.replace(/,(\d)/, (_m, d: string) => `,${(Number(d) + 1) % 10}`);
    assert.notEqual(edited, row);
    const bytes = Buffer.from(text.slice(0, at) + edited + text.slice(at + row.length), 'latin1');
    assert.equal(bytes.length, csv.length);
    assert.equal(verifyReport(bytes, pub).ok, false);
  });

  it('refuses a non-canonical signature encoding (the spare bits of the last character)', () => {
    const sigStart = csv.length - 2 - 86;
    const last = String.fromCharCode(csv[csv.length - 3] as number);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const v = alphabet.indexOf(last);
    // same top two bits (the only data bits left), different spare bits: decodes to the same bytes
    const twin = alphabet[(v & 0b110000) | ((v + 1) & 0b001111)] as string;
    const bytes = Buffer.from(csv);
    bytes[csv.length - 3] = twin.charCodeAt(0);
    assert.ok(
      Buffer.from(bytes.subarray(sigStart, sigStart + 86).toString(), 'base64url').equals(
        Buffer.from(csv.subarray(sigStart, sigStart + 86).toString(), 'base64url'),
      ),
    );
    assert.equal(verifyReport(bytes, pub).ok, false);
  });

  it('detects truncation, removal of the signature, appended bytes and a re-signed body by another key', () => {
    for (const b of [pdf, csv]) {
      for (const cut of [1, 2, 50, 89, 200, Math.floor(b.length / 2), b.length - 1]) {
        assert.equal(verifyReport(b.subarray(0, b.length - cut), pub).ok, false, `cut ${cut}`);
      }
      assert.equal(verifyReport(b.subarray(1), pub).ok, false);
      assert.equal(verifyReport(Buffer.concat([b, Buffer.from('\n')]), pub).ok, false);
      assert.equal(verifyReport(Buffer.concat([b, Buffer.from('%%EOF\n')]), pub).ok, false);
      assert.equal(verifyReport(Buffer.alloc(0), pub).ok, false);
    }
    const other = reportSignerFromKey(generateKeyPairSync('ed25519').privateKey);
    const forged = generateShipmentReport(input, 'csv', other);
    assert.equal(verifyReport(forged, pub).ok, false);
    assert.equal(verifyReport(forged, createPublicKey(other.publicKeyPem)).ok, true);
  });

  it('tells a Vigil report that fails from a file that is no Vigil report at all', () => {
    const verdict = (b: Buffer) => {
      const r = verifyReport(b, pub);
      return r.ok ? 'ok' : r.verdict;
    };
    for (const b of [pdf, csv]) {
      const sigAt = b.lastIndexOf(Buffer.from('vigil-report-signature'));
      assert.equal(verdict(b.subarray(0, sigAt - 2)), 'tampered', 'signature line removed');
      assert.equal(verdict(b.subarray(0, b.length - 5)), 'tampered', 'signature line cut');
    }
    assert.equal(verdict(Buffer.from('%PDF-1.4\n%%EOF\n')), 'not-a-report');
    assert.equal(verdict(Buffer.from('lot,qty\r\nA,1\r\n')), 'not-a-report');
    assert.equal(verdict(Buffer.alloc(0)), 'not-a-report');
    assert.equal(verdict(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1')), 'not-a-report');
  });

  it('refuses to sign a PDF that does not end with %%EOF', () => {
    assert.throws(() => signReport(Buffer.from('%PDF-1.3\n'), 'pdf', signer), /%%EOF/);
  });
});

describe('the data directory report-signing key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-report-key-'));
  const pkiDir = join(dir, 'pki');
  mkdirSync(pkiDir);
  after(() => rmSync(dir, { recursive: true, force: true }));
  const master = new MasterKey(Buffer.alloc(32, 7));

  it('is generated on first use, sealed under the master key, with the public key beside it', () => {
    const s1 = loadOrCreateReportSigner(pkiDir, master);
    const paths = reportKeyPaths(pkiDir);
    assert.equal(statSync(paths.sealedKey).mode & 0o777, 0o600);
    const sealed = readFileSync(paths.sealedKey);
    assert.equal(sealed.includes(Buffer.from('PRIVATE KEY')), false);
    assert.match(
      master.open('report-key', sealed, REPORT_KEY_IDENTITY).toString(),
      /^-----BEGIN PRIVATE KEY-----/,
    );
    assert.throws(() => master.open('ca-key', sealed, REPORT_KEY_IDENTITY), /wrong master key/);
    assert.equal(readFileSync(paths.publicKey, 'utf8'), s1.publicKeyPem);
    assert.equal(keyFingerprint(readReportPublicKey(pkiDir)), s1.fingerprint);
    assert.match(s1.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('is the same key on the next use, and a wrong master key cannot open it', () => {
    const a = loadOrCreateReportSigner(pkiDir, master);
    const b = loadOrCreateReportSigner(pkiDir, master);
    assert.equal(a.fingerprint, b.fingerprint);
    assert.throws(
      () => loadOrCreateReportSigner(pkiDir, new MasterKey(Buffer.alloc(32, 8))),
      /wrong master key/,
    );
  });

  it('signs reports that verify with the public key file alone', () => {
    const s = loadOrCreateReportSigner(pkiDir, master);
    const small = syntheticReportInput({ days: 1, stepMs: 15 * 60_000 });
    const r = verifyReport(generateShipmentReport(small, 'csv', s), readReportPublicKey(pkiDir));
    assert.equal(r.ok, true);
  });
});
