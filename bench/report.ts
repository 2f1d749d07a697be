import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Status = 'ok' | 'MISSED' | 'info' | 'ERROR' | 'skipped';

/** One line of the summary table. */
export interface SummaryRow {
  id: string;
  workload: string;
  baseline: string;
  measured: string;
  /** The compared figure: a ratio ("0.42x") or a value ("p99 12.3 ms"). */
  result: string;
  target: string;
  status: Status;
}

/** A ratio row's status: ok when `value >= min`. */
export function atLeast(value: number, min: number): Status {
  return Number.isFinite(value) ? (value >= min ? 'ok' : 'MISSED') : 'ERROR';
}

export function atMost(value: number, max: number): Status {
  return Number.isFinite(value) ? (value <= max ? 'ok' : 'MISSED') : 'ERROR';
}

/** Plain-text table with padded columns (no colours: the output is often piped or saved). */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

export function renderSummary(rows: SummaryRow[]): string {
  return renderTable(
    ['Workload', 'Baseline', 'Vigil', 'Result', 'Target', 'Status'],
    rows.map((r) => [r.workload, r.baseline, r.measured, r.result, r.target, r.status]),
  );
}

/** Writes bench/results/latest.json and bench/results/<ISO time>.json; returns both paths. */
export function saveResults(
  doc: unknown,
  startedAt: Date,
  kind?: string,
): { latest: string; stamped: string } {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  const text = `${collapseShortArrays(JSON.stringify(doc, jsonReplacer, 2))}\n`;
  // ISO 8601 with ':' replaced by '-', so the name is valid on every file system.
  // A suite of its own (`layers`) keeps its own files: `layers-latest.json`, `layers-<time>.json`.
  const prefix = kind ? `${kind}-` : '';
  const stamped = join(dir, `${prefix}${startedAt.toISOString().replaceAll(':', '-')}.json`);
  const latest = join(dir, `${prefix}latest.json`);
  writeFileSync(stamped, text);
  writeFileSync(latest, text);
  return { latest, stamped };
}

/** NaN and Infinity become null (JSON has neither); typed arrays are dropped (raw samples). */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (ArrayBuffer.isView(value)) return undefined;
  if (typeof value === 'number') return Math.round(value * 1000) / 1000;
  return value;
}

/**
 * Puts arrays of numbers/strings/booleans on one line when that line fits in 110 columns, as the
 * repository's formatter (Biome, lineWidth 110) does, so `npm run lint` accepts saved results.
 */
function collapseShortArrays(json: string): string {
  return json.replace(
    /^( *)(.*)\[\n((?:\1 {2}(?:-?[\d.e+-]+|"(?:[^"\\]|\\.)*"|true|false|null),?\n)+)\1\]/gm,
    (m, indent: string, head: string, body: string) => {
      const items = body
        .split('\n')
        .map((l) => l.trim().replace(/,$/, ''))
        .filter((l) => l !== '');
      const line = `${indent}${head}[${items.join(', ')}]`;
      return line.length <= 110 ? line : m;
    },
  );
}
