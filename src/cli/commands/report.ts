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
import { parseCommand } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { type CliIo, usage } from '../io.ts';
import { reportShipmentCommand } from './report-shipment.ts';

const USAGE =
  'usage: vigil report verify FILE [--key PUBKEY.pem] (or reports.pinnedKeyFingerprint in config.json) | vigil report key | vigil report shipment ID --format pdf|csv --out FILE';

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
      synopsis: 'report verify FILE [--key PUBKEY.pem]',
      about:
        "Checks a report's signature: any changed byte fails (exit 1). Needs only the public key: --key, or the data directory's key when its fingerprint is pinned as reports.pinnedKeyFingerprint in config.json (the key file alone is not trusted).",
      options: [['--key PEM', 'the signer\'s public key (from "vigil report key" of the issuing site)']],
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
  });
  const [sub, file] = positionals;
  if (sub === 'verify') {
    if (!file || positionals.length > 2) usage(USAGE);
    // Verification needs only the public key: no master key, no database.
    const key = trustedKey(values.key, values['data-dir'], io.env);
    const bytes = readReport(file);
    const r = verifyReport(bytes, key);
    if (!r.ok) {
      io.out(`report TAMPERED: ${r.reason}`);
      return 1;
    }
    // The fingerprint printed in the report is inside the signed bytes: it must name the key
    // that signed them (a report stating another signer is a forgery of that statement).
    const stated = embeddedSigningKey(bytes.subarray(0, r.signedBytes));
    if (stated !== r.fingerprint) {
      io.out(`report TAMPERED: signed by ${r.fingerprint} but states ${stated ?? 'no signing key'}`);
      return 1;
    }
    io.out(`report OK: signed by ${r.fingerprint}`);
    const code = embeddedVerificationCode(bytes.subarray(0, r.signedBytes));
    if (code) io.out(`verification code: ${code}`);
    return 0;
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
      io.out(`public key: ${reportKeyPaths(ctx.paths.pkiDir).publicKey}`);
      io.out(signer.publicKeyPem.trimEnd());
      return 0;
    } finally {
      await ctx.close();
    }
  }
  usage(USAGE);
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
