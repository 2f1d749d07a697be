import type { KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { loadConfig } from '../../config/load.ts';
import { openContext } from '../../data-dir/context.ts';
import { dataPaths } from '../../data-dir/paths.ts';
import { VigilError } from '../../errors.ts';
import { embeddedSigningKey, embeddedVerificationCode } from '../../reports/embedded-code.ts';
import {
  keyFingerprint,
  loadOrCreateReportSigner,
  parsePublicKey,
  readReportPublicKey,
  reportKeyPaths,
  verifyReport,
} from '../../reports/signing.ts';
import { normalizeVerificationCode } from '../../reports/verification-code.ts';
import { parseCommand } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { type CliIo, usage } from '../io.ts';
import { reportShipmentCommand } from './report-shipment.ts';

const USAGE =
  'usage: vigil report verify FILE [--key PUBKEY.pem] [--code CODE] (or reports.pinnedKeyFingerprint in config.json) | vigil report key | vigil report shipment ID --format pdf|csv --out FILE';

/**
 * Exit status of `report verify`: 0 only for a genuine, untouched report (and, with --code, the
 * report that code names); 1 for a Vigil report that fails (TAMPERED) or names another code;
 * 3 for a file that is not a Vigil report at all. 2 stays the usage error of every command.
 */
export const VERIFY_EXIT = { ok: 0, tampered: 1, codeMismatch: 1, notAReport: 3 } as const;

export const reportHelp: CommandHelp = {
  forms: {
    shipment: {
      synopsis: 'report shipment ID [--format pdf|csv] --out FILE',
      about:
        "Writes the shipment's signed report (Ed25519): trip, readings, excursions, MKT, alarms, custody and decision.",
      options: [
        ['--format F', 'pdf or csv (default pdf)'],
        ['--out FILE', 'where the report goes (required)'],
      ],
    },
    verify: {
      synopsis: 'report verify FILE [--key PUBKEY.pem] [--code CODE]',
      about:
        'Checks a report\'s signature: exit 0 "report OK" only for the untouched file; any changed byte is "report TAMPERED" (exit 1); a file that is not a Vigil report says so (exit 3). Needs only the public key: --key, or the data directory\'s key when its fingerprint is pinned as reports.pinnedKeyFingerprint in config.json (the key file alone is not trusted).',
      options: [
        ['--key PEM', 'the signer\'s public key (from "vigil report key" of the issuing site)'],
        [
          '--code CODE',
          'the verification code printed on the paper copy: the file must carry the same (case, I/L/O look-alikes and hyphens are forgiven)',
        ],
      ],
    },
    key: {
      synopsis: 'report key',
      about: 'The report-signing public key and its fingerprint, to hand to whoever verifies reports.',
    },
  },
};

/** Larger than any real report (a year at 1-minute sampling is some 20 MB of CSV). */
const MAX_REPORT_BYTES = 512 * 1024 * 1024;

export async function reportCommand(argv: string[], io: CliIo): Promise<number> {
  // `report shipment ...` has options of its own (src/cli/commands/report-shipment.ts).
  if (argv[0] === 'shipment') return reportShipmentCommand(argv, io);
  const { values, positionals } = parseCommand(argv, {
    key: { type: 'string' },
    code: { type: 'string' },
  });
  const [sub, file] = positionals;
  if (sub === 'verify') {
    if (!file || positionals.length > 2) usage(USAGE);
    const expected = values.code === undefined ? undefined : normalizeVerificationCode(values.code);
    if (expected === null) {
      usage(
        `--code: "${values.code}" is not a verification code (20 characters of 0-9 and A-Z without I, L, O, U, as XXXX-XXXX-XXXX-XXXX-XXXX)`,
      );
    }
    // Verification needs only the public key: no master key, no database.
    const key = trustedKey(values.key, values['data-dir'], io.env);
    const bytes = readReport(file);
    return verifyCommand(file, bytes, key, expected, io);
  }
  if (sub === 'key') {
    if (positionals.length > 1) usage(USAGE);
    const ctx = await openContext({
      dataDir: values['data-dir'],
      env: io.env,
      logLevel: 'warn',
      createAdmin: false,
    });
    try {
      const signer = loadOrCreateReportSigner(ctx.paths.pkiDir, ctx.master);
      io.out(`report-signing key ${signer.fingerprint} (Ed25519)`);
      io.out('it signs shipment reports and backup manifests (vigil backup verify checks them against it)');
      io.out(`public key: ${reportKeyPaths(ctx.paths.pkiDir).publicKey}`);
      io.out(signer.publicKeyPem.trimEnd());
      return 0;
    } finally {
      await ctx.close();
    }
  }
  usage(USAGE);
}

function verifyCommand(
  file: string,
  bytes: Buffer,
  key: KeyObject,
  expectedCode: string | undefined,
  io: CliIo,
): number {
  const r = verifyReport(bytes, key);
  if (!r.ok) {
    if (r.verdict === 'not-a-report') {
      io.out(`not a Vigil report: ${file}: ${r.reason}`);
      return VERIFY_EXIT.notAReport;
    }
    io.out(`report TAMPERED: ${r.reason}`);
    return VERIFY_EXIT.tampered;
  }
  const signed = bytes.subarray(0, r.signedBytes);
  // The fingerprint printed in the report is inside the signed bytes: it must name the key
  // that signed them (a report stating another signer is a forgery of that statement).
  const stated = embeddedSigningKey(signed);
  if (stated !== r.fingerprint) {
    io.out(`report TAMPERED: signed by ${r.fingerprint} but states ${stated ?? 'no signing key'}`);
    return VERIFY_EXIT.tampered;
  }
  io.out(`report OK: signed by ${r.fingerprint}`);
  const code = embeddedVerificationCode(signed);
  if (code) io.out(`verification code: ${code}`);
  if (expectedCode !== undefined && code !== expectedCode) {
    io.out(`code MISMATCH: this file is the report with code ${code ?? '(none)'}, not ${expectedCode}`);
    return VERIFY_EXIT.codeMismatch;
  }
  return VERIFY_EXIT.ok;
}

/**
 * The key a report must be signed with: `--key FILE`, or the data directory's public key only
 * when its fingerprint equals `reports.pinnedKeyFingerprint` of the configuration (the key file
 * alone could have been replaced without notice). Neither: a usage error saying how to pin.
 */
function trustedKey(
  keyFlag: string | undefined,
  dataDirFlag: string | undefined,
  env: NodeJS.ProcessEnv,
): KeyObject {
  if (keyFlag) return parsePublicKey(readText(keyFlag), keyFlag);
  const config = loadConfig({ dataDir: dataDirFlag, env, overrides: {} });
  const pinned = config.reports.pinnedKeyFingerprint;
  if (!pinned) {
    usage(
      "report verify needs the signer's public key: --key PUBKEY.pem, or its fingerprint pinned as " +
        '"reports": {"pinnedKeyFingerprint": "SHA256:..."} in config.json (see `vigil report key`); ' +
        'the key file of the data directory alone is not trusted',
    );
  }
  const key = readReportPublicKey(dataPaths(config.dataDir).pkiDir);
  const actual = keyFingerprint(key);
  if (actual !== pinned) {
    throw new VigilError(
      'VIGIL_ERR_PKI',
      `the report-signing key of the data directory (${actual}) is not the pinned one (${pinned}): it was replaced`,
    );
  }
  return key;
}

function readReport(path: string): Buffer {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    throw new VigilError('VIGIL_ERR_NOT_FOUND', `${path}: ${(err as Error).message}`);
  }
  if (size > MAX_REPORT_BYTES) throw new VigilError('VIGIL_ERR_USAGE', `${path}: larger than any report`);
  return readFileSync(path);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new VigilError('VIGIL_ERR_NOT_FOUND', `${path}: ${(err as Error).message}`);
  }
}
