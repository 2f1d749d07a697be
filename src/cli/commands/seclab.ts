import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reportSummaryText } from '../../seclab/report-markdown.ts';
import { exitCodeOf, runSeclab } from '../../seclab/run-seclab.ts';
import { writeReport } from '../../seclab/write-report.ts';
import { parseCommand } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { type CliIo, usage } from '../io.ts';

export const seclabHelp: CommandHelp = {
  forms: {
    '': {
      synopsis: 'seclab [--quick|--full] [--out DIR] [--json] [--data-dir DIR] [--evaluate] [--only IDS]',
      about:
        'Attacks a Vigil and reports what got through: sniffing, man in the middle, denial of service, unauthorized access, tampering and replay (docs/seclab.md). Without --data-dir it starts its own throwaway Vigil on random loopback ports; with it, it attacks the vigil start running on DIR (loopback only) with throwaway devices and users that are revoked and disabled afterwards.',
      options: [
        ['--quick', 'the short run (default): every family, no floods and no testssl.sh; under 2 minutes'],
        ['--full', 'everything, floods and testssl.sh included; under 15 minutes'],
        [
          '--out DIR',
          'where seclab-report.md, seclab-report.json and charts/ go (default ./seclab-report, or DIR/seclab/<time> with --data-dir)',
        ],
        ['--json', 'print the report as one JSON object on stdout (progress goes to stderr)'],
        [
          '--evaluate',
          'then measure what each security layer costs (needs bench/ of a checkout; one round after --quick, three after --full) and write security-evaluation.md next to the report',
        ],
        ['--only IDS', 'comma-separated scenario ids or id prefixes (sniff.,mitm.rogue-broker)'],
      ],
    },
  },
  notes:
    'Exit code: 0 nothing got through, 1 an attack got through, 2 usage error, 3 a scenario could not run, 130 stopped.',
};

const LAYERS_BENCH = fileURLToPath(new URL('../../../bench/layers/run-layers.ts', import.meta.url));

/** Runs the layer evaluation (bench/layers) in a child process, with this run's attack results. */
function evaluate(outDir: string, quick: boolean, io: CliIo): Promise<number> {
  if (!existsSync(LAYERS_BENCH)) {
    io.err(`vigil seclab: --evaluate needs ${LAYERS_BENCH} (a source checkout with bench/)`);
    return Promise.resolve(1);
  }
  const child = spawn(
    process.execPath,
    [
      LAYERS_BENCH,
      '--seclab-report',
      resolve(outDir, 'seclab-report.json'),
      '--doc',
      resolve(outDir, 'security-evaluation.md'),
      // One round per configuration after a quick run, three after a full one.
      ...(quick ? ['--quick'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (d: Buffer) => {
    for (const l of d.toString('utf8').split('\n')) if (l) io.err(l);
  });
  child.stderr.on('data', (d: Buffer) => {
    for (const l of d.toString('utf8').split('\n')) if (l) io.err(l);
  });
  const onAbort = () => child.kill('SIGTERM');
  io.signal.addEventListener('abort', onAbort, { once: true });
  return new Promise((res) =>
    child.on('exit', (code) => {
      io.signal.removeEventListener('abort', onAbort);
      res(code ?? 1);
    }),
  );
}

/** `vigil seclab`: attack a throwaway or a running local Vigil and write the report. */
export async function seclabCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    {
      quick: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      evaluate: { type: 'boolean', default: false },
      only: { type: 'string' },
    },
    { positionals: false },
  );
  if (values.quick && values.full) usage('--quick and --full exclude each other');
  const mode = values.full ? 'full' : 'quick';
  const dataDir = values['data-dir'];
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = resolve(values.out ?? (dataDir ? `${dataDir}/seclab/${stamp}` : 'seclab-report'));
  const only = values.only
    ? values.only
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
  // With --json, stdout carries the report alone.
  const log = values.json ? io.err : io.out;
  const report = await runSeclab({ mode, dataDir, only, log, signal: io.signal });
  if (io.signal.aborted) {
    // A partial run is not a report: nothing is written that could pass for a result.
    io.err('vigil seclab: stopped; throwaway devices, users and instance removed; no report written');
    return 130;
  }
  writeReport(report, out);
  if (values.json) io.out(JSON.stringify(report));
  else for (const l of reportSummaryText(report, out)) io.out(l);
  if (values.evaluate && !io.signal.aborted) {
    const code = await evaluate(out, mode === 'quick', io);
    if (code !== 0) return code;
  }
  return exitCodeOf(report.summary);
}
