/**
 * The security evaluation (docs/security-evaluation.md): `npm run bench -- --only=layers` runs it
 * through bench/run.ts; `vigil seclab --evaluate` runs this file directly.
 * Options: --seclab-report FILE (default docs/seclab/seclab-report.json), --doc FILE (default
 * docs/security-evaluation.md), --quick (one round, shorter runs), --from-results FILE (write the
 * document again from an earlier run's bench/results file, measuring nothing).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { SeclabReport } from '../../src/seclab/seclab-types.ts';
import { machineInfo } from '../machine.ts';
import { saveResults } from '../report.ts';
import { removeAllTempDirs } from '../temp-dirs.ts';
import { type EvaluationRun, writeEvaluationDoc } from './evaluation-doc.ts';
import { runLayers } from './layers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_SECLAB_REPORT = resolve(ROOT, 'docs/seclab/seclab-report.json');
export const DEFAULT_DOC = resolve(ROOT, 'docs/security-evaluation.md');

function niceness(): number {
  try {
    // proc(5) /proc/self/stat field 19.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  } catch {
    return Number.NaN;
  }
}

/** Runs the evaluation and writes the document; returns the document's path. */
export async function evaluateLayers(o: {
  quick: boolean;
  seclabReport?: string;
  doc?: string;
  log: (s: string) => void;
}): Promise<string> {
  const started = new Date();
  const loadBefore = os.loadavg().map((v) => Math.round(v * 100) / 100);
  const reportFile = o.seclabReport ?? DEFAULT_SECLAB_REPORT;
  let seclab: SeclabReport | null = null;
  if (existsSync(reportFile)) {
    seclab = JSON.parse(readFileSync(reportFile, 'utf8')) as SeclabReport;
    if (seclab.kind !== 'vigil-seclab-report') throw new Error(`${reportFile} is not a seclab report`);
  } else {
    o.log(`no seclab report at ${reportFile}: the CIA matrix needs one (npm run seclab:full)`);
  }
  const layers = await runLayers({ quick: o.quick, log: o.log });
  const run = {
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    machine: machineInfo(),
    loadBefore,
    loadAfter: os.loadavg().map((v) => Math.round(v * 100) / 100),
    niceness: niceness(),
    layers,
    seclab,
    seclabFile: seclab ? relative(ROOT, reportFile) : null,
  };
  saveResults(
    {
      suite: 'vigil-bench-layers',
      version: 1,
      ...run,
      seclab: seclab ? { file: run.seclabFile, summary: seclab.summary } : null,
    },
    started,
    'layers',
  );
  const doc = o.doc ?? DEFAULT_DOC;
  writeEvaluationDoc(run, doc);
  o.log(`wrote ${doc}`);
  return doc;
}

/**
 * Writes the document again from a results file of an earlier run (bench/results/*.json, suite
 * `vigil-bench-layers`) and the seclab report it names: no measurement, for a change of the
 * document's wording. Returns the document's path.
 */
export function rewriteFromResults(resultsFile: string, docFile = DEFAULT_DOC): string {
  const saved = JSON.parse(readFileSync(resultsFile, 'utf8')) as {
    suite?: string;
    seclab: { file: string | null } | null;
  } & Omit<EvaluationRun, 'seclab'>;
  if (saved.suite !== 'vigil-bench-layers') throw new Error(`${resultsFile} is not a layers results file`);
  const seclabFile = saved.seclab?.file ?? null;
  const seclab = seclabFile
    ? (JSON.parse(readFileSync(resolve(ROOT, seclabFile), 'utf8')) as SeclabReport)
    : null;
  writeEvaluationDoc({ ...saved, seclab, seclabFile }, docFile);
  return docFile;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      'seclab-report': { type: 'string' },
      doc: { type: 'string' },
      'from-results': { type: 'string' },
    },
  });
  if (values['from-results']) {
    console.log(
      `wrote ${rewriteFromResults(resolve(values['from-results']), values.doc ? resolve(values.doc) : DEFAULT_DOC)}`,
    );
    process.exit(0);
  }
  evaluateLayers({
    quick: values.quick ?? false,
    ...(values['seclab-report'] ? { seclabReport: resolve(values['seclab-report']) } : {}),
    ...(values.doc ? { doc: resolve(values.doc) } : {}),
    log: (s) => console.log(s),
  })
    .then(() => {
      process.exitCode = 0;
    })
    .catch((err: unknown) => {
      console.error('layers:', err);
      process.exitCode = 1;
    })
    .finally(() => {
      removeAllTempDirs();
      setTimeout(() => process.exit(), 200).unref();
    });
}
