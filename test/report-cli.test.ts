/**
 * `vigil report verify` as an inspector runs it: a real `bin/vigil` process, a data directory that
 * holds only the report-signing key, and signed reports on disk.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MasterKey } from '../src/keys/master-key.ts';
import { renderShipmentCsv } from '../src/reports/csv.ts';
import { generateShipmentReport } from '../src/reports/generate-shipment-report.ts';
import { syntheticReportInput } from '../src/reports/report-input.fixture.ts';
import {
  loadOrCreateReportSigner,
  type ReportSigner,
  reportKeyPaths,
  reportSignerFromKey,
  signReport,
} from '../src/reports/signing.ts';
import { verificationCode } from '../src/reports/verification-code.ts';
import { MASTER_KEY_HEX } from './helpers/instance.ts';
import { runVigil } from './helpers/run-vigil.ts';

const _root = new URL('..', import.meta.url).pathname;
let dir: string;
let signer: ReportSigner;
const input = syntheticReportInput({ days: 30 });

const vigil = (args: string[], timeoutMs?: number) => runVigil(args, timeoutMs ? { timeoutMs } : {});

/** Pins the trusted report-signing key in the data directory's configuration. */
const pin = (dataDir: string, fingerprint: string) =>
  writeFileSync(
    join(dataDir, 'config.json'),
    JSON.stringify({ reports: { pinnedKeyFingerprint: fingerprint } }),
  );

describe('vigil report verify', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-report-cli-'));
    mkdirSync(join(dir, 'pki'), { recursive: true });
    signer = loadOrCreateReportSigner(join(dir, 'pki'), new MasterKey(Buffer.from(MASTER_KEY_HEX, 'hex')));
    writeFileSync(join(dir, 'report.pdf'), generateShipmentReport(input, 'pdf', signer));
    writeFileSync(join(dir, 'report.csv'), generateShipmentReport(input, 'csv', signer));
    pin(dir, signer.fingerprint);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts an untouched PDF and CSV and names the signing key and the verification code', async () => {
    for (const f of ['report.pdf', 'report.csv']) {
      const r = await vigil(['report', 'verify', join(dir, f), '--data-dir', dir]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stdout,
        `report OK: signed by ${signer.fingerprint}\nverification code: ${verificationCode(input)}\n`,
      );
      assert.match(verificationCode(input), /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
    }
  });

  it('reports TAMPERED, exit 1, for one changed byte in the body or the signature', async () => {
    for (const [f, at] of [
      ['report.pdf', 2000],
      ['report.csv', 700_000],
      ['report.pdf', -20],
      ['report.csv', -20],
    ] as const) {
      const bytes = readFileSync(join(dir, f));
      const i = at < 0 ? bytes.length + at : at;
      bytes[i] = (bytes[i] as number) ^ 0x02;
      const path = join(dir, `tampered-${at}-${f}`);
      writeFileSync(path, bytes);
      const r = await vigil(['report', 'verify', path, '--data-dir', dir]);
      assert.equal(r.code, 1, `${f} byte ${i}`);
      assert.match(r.stdout, /^report TAMPERED/);
    }
  });

  it('reports TAMPERED for a truncated report or one without a signature', async () => {
    const bytes = readFileSync(join(dir, 'report.csv'));
    writeFileSync(join(dir, 'cut.csv'), bytes.subarray(0, bytes.length - 40));
    const body = bytes.subarray(0, bytes.lastIndexOf(Buffer.from('# vigil-report-signature')));
    writeFileSync(join(dir, 'unsigned.csv'), body);
    for (const f of ['cut.csv', 'unsigned.csv']) {
      const r = await vigil(['report', 'verify', join(dir, f), '--data-dir', dir]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^report TAMPERED/);
    }
  });

  it('says a file that is not a Vigil report is not one (exit 3), not TAMPERED', async () => {
    const files: [string, Buffer][] = [
      ['photo.png', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')],
      [
        'other.pdf',
        Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n'),
      ],
      ['export.csv', Buffer.from('ts,temp_c\r\n2026-11-02T06:00:00.000Z,4.6\r\n')],
      ['empty.csv', Buffer.alloc(0)],
    ];
    for (const [name, bytes] of files) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const r = await vigil(['report', 'verify', path, '--data-dir', dir]);
      assert.equal(r.code, 3, `${name}: ${r.stdout}${r.stderr}`);
      assert.equal(
        r.stdout,
        `not a Vigil report: ${path}: it has no Vigil report signature and no Vigil report header\n`,
      );
      assert.doesNotMatch(r.stdout, /TAMPERED|report OK/);
    }
    // a Vigil PDF whose signature line was cut off is still a Vigil report: TAMPERED, exit 1
    const pdf = readFileSync(join(dir, 'report.pdf'));
    const stripped = pdf.subarray(0, pdf.lastIndexOf(Buffer.from('%vigil-report-signature')));
    writeFileSync(join(dir, 'stripped.pdf'), stripped);
    const r = await vigil(['report', 'verify', join(dir, 'stripped.pdf'), '--data-dir', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^report TAMPERED: no valid signature line/);
  });

  it('checks the code typed from a paper copy with --code, forgiving case and look-alikes', async () => {
    const code = verificationCode(input);
    const typed = code.toLowerCase().replaceAll('0', 'o').replaceAll('1', 'l');
    const ok = await vigil(['report', 'verify', join(dir, 'report.pdf'), '--data-dir', dir, '--code', typed]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const other = code.startsWith('Z') ? `Y${code.slice(1)}` : `Z${code.slice(1)}`;
    const bad = await vigil([
      'report',
      'verify',
      join(dir, 'report.csv'),
      '--data-dir',
      dir,
      '--code',
      other,
    ]);
    assert.equal(bad.code, 1);
    assert.ok(
      bad.stdout.endsWith(`code MISMATCH: this file is the report with code ${code}, not ${other}\n`),
    );
    const junk = await vigil([
      'report',
      'verify',
      join(dir, 'report.pdf'),
      '--data-dir',
      dir,
      '--code',
      'UUUU',
    ]);
    assert.equal(junk.code, 2);
    assert.match(junk.stderr, /is not a verification code/);
  });

  it('verifies with an exported public key, and refuses a report checked against another key', async () => {
    const pub = reportKeyPaths(join(dir, 'pki')).publicKey;
    const ok = await vigil(['report', 'verify', join(dir, 'report.pdf'), '--key', pub]);
    assert.equal(ok.code, 0, ok.stderr);
    const otherDir = mkdtempSync(join(tmpdir(), 'vigil-report-other-'));
    try {
      mkdirSync(join(otherDir, 'pki'));
      pin(
        otherDir,
        loadOrCreateReportSigner(join(otherDir, 'pki'), new MasterKey(Buffer.alloc(32, 1))).fingerprint,
      );
      const r = await vigil(['report', 'verify', join(dir, 'report.pdf'), '--data-dir', otherDir]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^report TAMPERED/);
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('fails clearly when the data directory has no report-signing key or the file is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'vigil-report-empty-'));
    pin(empty, signer.fingerprint);
    try {
      const r = await vigil(['report', 'verify', join(dir, 'report.pdf'), '--data-dir', empty]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no report-signing key/);
      const m = await vigil(['report', 'verify', join(dir, 'nope.pdf'), '--data-dir', dir]);
      assert.equal(m.code, 1);
      assert.match(m.stderr, /nope\.pdf/);
      const u = await vigil(['report', 'verify']);
      assert.equal(u.code, 2);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("refuses to trust the data directory's key file alone: --key or a pinned fingerprint is required", async () => {
    const unpinned = mkdtempSync(join(tmpdir(), 'vigil-report-unpinned-'));
    try {
      mkdirSync(join(unpinned, 'pki'));
      const s = loadOrCreateReportSigner(join(unpinned, 'pki'), new MasterKey(Buffer.alloc(32, 3)));
      writeFileSync(join(unpinned, 'r.csv'), generateShipmentReport(input, 'csv', s));
      const r = await vigil(['report', 'verify', join(unpinned, 'r.csv'), '--data-dir', unpinned]);
      assert.equal(r.code, 2, r.stdout);
      assert.match(
        r.stderr,
        /--key PUBKEY\.pem, or its fingerprint pinned as "reports": \{"pinnedKeyFingerprint"/,
      );
      assert.ok(!r.stdout.includes('report OK'));
    } finally {
      rmSync(unpinned, { recursive: true, force: true });
    }
  });

  it('refuses a report re-signed with a key that silently replaced the data directory key', async () => {
    const victim = mkdtempSync(join(tmpdir(), 'vigil-report-swap-'));
    try {
      mkdirSync(join(victim, 'pki'));
      const real = loadOrCreateReportSigner(join(victim, 'pki'), new MasterKey(Buffer.alloc(32, 4)));
      pin(victim, real.fingerprint);
      // The attacker forges a report, signs it with a key of their own and puts their public key
      // in place of the installation's.
      const attackerDir = mkdtempSync(join(tmpdir(), 'vigil-report-attacker-'));
      mkdirSync(join(attackerDir, 'pki'));
      const forger = loadOrCreateReportSigner(join(attackerDir, 'pki'), new MasterKey(Buffer.alloc(32, 5)));
      writeFileSync(
        join(victim, 'forged.csv'),
        generateShipmentReport({ ...input, generatedBy: 'forger' }, 'csv', forger),
      );
      writeFileSync(reportKeyPaths(join(victim, 'pki')).publicKey, forger.publicKeyPem);
      rmSync(attackerDir, { recursive: true, force: true });
      const r = await vigil(['report', 'verify', join(victim, 'forged.csv'), '--data-dir', victim]);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /is not the pinned one/);
    } finally {
      rmSync(victim, { recursive: true, force: true });
    }
  });

  it('refuses a report whose printed signing key is not the key that signed it', async () => {
    const other = reportSignerFromKey(generateKeyPairSync('ed25519').privateKey);
    // rendered stating the installation's key, signed by another
    const lying = signReport(renderShipmentCsv(input, { signingKey: signer.fingerprint }), 'csv', other);
    const keyFile = join(dir, 'other.pub');
    writeFileSync(keyFile, other.publicKeyPem);
    writeFileSync(join(dir, 'lying.csv'), lying);
    const r = await vigil(['report', 'verify', join(dir, 'lying.csv'), '--key', keyFile]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      `report TAMPERED: signed by ${other.fingerprint} but states ${signer.fingerprint}\n`,
    );
  });

  it('report key prints the data directory key fingerprint and PEM', async () => {
    // A real data directory (report key, unlike verify, opens it; it never creates one).
    const data = join(dir, 'data');
    assert.equal((await vigil(['init', '--data-dir', data])).code, 0);
    const own = loadOrCreateReportSigner(
      join(data, 'pki'),
      new MasterKey(Buffer.from(MASTER_KEY_HEX, 'hex')),
    );
    const r = await vigil(['report', 'key', '--data-dir', data]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith(`report-signing key ${own.fingerprint} (Ed25519)\n`));
    assert.ok(r.stdout.includes(own.publicKeyPem.trimEnd()));
  });
});
