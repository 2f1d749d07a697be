import { readFileSync, statSync } from 'node:fs';
import { resolveDataDir } from '../../config/load.ts';
import { openContext } from '../../data-dir/context.ts';
import { dataPaths } from '../../data-dir/paths.ts';
import { VigilError } from '../../errors.ts';
import { embeddedVerificationCode } from '../../reports/embedded-code.ts';
import {
  loadOrCreateReportSigner,
  parsePublicKey,
  readReportPublicKey,
  reportKeyPaths,
  verifyReport,
} from '../../reports/signing.ts';
import { parseCommand } from '../command-context.ts';
import { type CliIo, usage } from '../io.ts';
import { reportShipmentCommand } from './report-shipment.ts';

const USAGE =
  'usage: vigil report verify FILE [--key PUBKEY.pem] | vigil report key | vigil report shipment ID --format pdf|csv --out FILE';
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
    const pkiDir = dataPaths(resolveDataDir(values['data-dir'], io.env)).pkiDir;
    const key = values.key ? parsePublicKey(readText(values.key), values.key) : readReportPublicKey(pkiDir);
    const bytes = readReport(file);
    const r = verifyReport(bytes, key);
    if (!r.ok) {
      io.out(`report TAMPERED: ${r.reason}`);
      return 1;
    }
    io.out(`report OK: signed by ${r.fingerprint}`);
    const code = embeddedVerificationCode(bytes.subarray(0, r.signedBytes));
    if (code) io.out(`verification code: ${code}`);
    return 0;
  }
  if (sub === 'key') {
    if (positionals.length > 1) usage(USAGE);
    const ctx = await openContext({ dataDir: values['data-dir'], logLevel: 'warn', createAdmin: false });
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
