/**
 * Child-process side of {@link scanFiles} (src/seclab/scan-files.ts): reads `{ dir, exclude,
 * secrets, limitBytes }` as JSON on stdin, reads every regular file under `dir` but `exclude`,
 * and writes `{ files, bytes, hits: [{ file, secret, count }] }` as JSON on stdout.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { findSecret } from './capture.ts';
import type { ScanJob, ScanResult } from './scan-files.ts';

function filesOf(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function scan(job: ScanJob): ScanResult {
  const result: ScanResult = { files: 0, bytes: 0, hits: [] };
  for (const f of filesOf(job.dir)) {
    if (job.exclude.includes(f)) continue;
    let size: number;
    try {
      size = statSync(f).size;
    } catch {
      continue; // removed meanwhile (a rotated log, a finished WAL)
    }
    if (result.bytes + size > job.limitBytes) continue;
    const bytes = readFileSync(f);
    result.bytes += bytes.length;
    result.files++;
    for (const [name, secret] of Object.entries(job.secrets)) {
      const count = findSecret(bytes, secret);
      if (count > 0) result.hits.push({ file: relative(job.dir, f), secret: name, count });
    }
  }
  return result;
}

const chunks: Buffer[] = [];
process.stdin.on('data', (c: Buffer) => chunks.push(c));
process.stdin.on('end', () => {
  process.stdout.write(JSON.stringify(scan(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ScanJob)));
});
