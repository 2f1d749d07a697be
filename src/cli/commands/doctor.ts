import { existsSync } from 'node:fs';
import { resolveDataDir } from '../../config/load.ts';
import type { Finding } from '../../doctor/finding.ts';
import { doctorContext, runDoctor } from '../../doctor/run-doctor.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import type { CliIo } from '../io.ts';

export const doctorHelp: CommandHelp = {
  forms: {
    '': {
      synopsis: 'doctor [--json]',
      about:
        'Checks the data directory and the instance running on it against secure and reliable defaults (file modes, master key source, TLS of both listeners, certificate expiry, CRL freshness, backups, UPS, disk, NTP, admins without MFA, tokens without expiry, failing sinks, debug logging, storage.allowInsecure) and prints each finding with its fix. Reads only; exits 1 when any finding is high.',
      options: [['--json', 'one JSON object per finding (NDJSON): {check, severity, message, fix}']],
    },
  },
};

/**
 * `vigil doctor [--json]`: checks a data directory and the instance running on it against secure
 * and reliable defaults; prints each finding with its fix. Exit 1 when any finding is high.
 */
export async function doctorCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(argv, { json: { type: 'boolean' } }, { positionals: false });
  const dataDir = resolveDataDir(values['data-dir'], io.env);
  let findings: Finding[];
  if (!existsSync(dataDir)) {
    findings = [
      {
        check: 'data-dir',
        severity: 'high',
        message: `no data directory at ${dataDir}`,
        fix: 'pass --data-dir (or VIGIL_DATA_DIR), or create one with vigil init or vigil start',
      },
    ];
  } else {
    findings = await withDataDir(dataDir, (ctx) => runDoctor(doctorContext(ctx, { env: io.env })), {
      env: io.env,
    });
  }
  if (values.json) {
    for (const f of findings) io.out(JSON.stringify(f));
  } else {
    for (const f of findings) {
      io.out(`${f.severity.toUpperCase().padEnd(6)}  ${f.check.padEnd(12)}  ${f.message}`);
      if (f.fix) io.out(`${' '.repeat(22)}fix: ${f.fix}`);
    }
    const count = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
    io.out(`\n${count('high')} high, ${count('medium')} medium, ${count('low')} low`);
  }
  return findings.some((f) => f.severity === 'high') ? 1 : 0;
}
