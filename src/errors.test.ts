import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stripComments } from '../tools/lint-deps.ts';
import { ERRORS, type ErrorCode, VigilError } from './errors.ts';

const SRC = import.meta.dirname;
const DOC = join(SRC, '..', 'docs', 'errors.md');
const CODES = Object.keys(ERRORS) as ErrorCode[];

/** `| \`VIGIL_ERR_X\` | 409 | meaning | what to do |` rows of docs/errors.md. */
function documented(): Map<string, { status: number; meaning: string; todo: string }> {
  const rows = new Map<string, { status: number; meaning: string; todo: string }>();
  for (const line of readFileSync(DOC, 'utf8').split('\n')) {
    const m = /^\| `(VIGIL_ERR_[A-Z0-9_]+)` \| (\d{3}) \| (.*?) \| (.*?) \|$/.exec(line);
    if (!m) continue;
    assert.equal(rows.has(m[1] as string), false, `${m[1]} is documented twice`);
    rows.set(m[1] as string, {
      status: Number(m[2]),
      meaning: (m[3] ?? '').trim(),
      todo: (m[4] ?? '').trim(),
    });
  }
  return rows;
}

/** Runtime sources: no tests, fixtures or contract suites, no comments. */
function runtimeSources(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) runtimeSources(p, out);
    else if (
      n.endsWith('.ts') &&
      !/\.(test|fixture)\.ts$|-contract\.ts$|\.d\.ts$/.test(n) &&
      p !== join(SRC, 'errors.ts')
    )
      out.push(stripComments(readFileSync(p, 'utf8')));
  }
  return out;
}

describe('error catalogue', () => {
  it('documents every code in docs/errors.md with its HTTP status, its meaning and what to do', () => {
    const rows = documented();
    for (const code of CODES) {
      const row = rows.get(code);
      assert.ok(row, `${code} is missing from docs/errors.md`);
      assert.equal(row.status, ERRORS[code].status, `${code}: docs/errors.md says ${row.status}`);
      assert.ok(row.meaning.length > 10 && row.todo.length > 5, `${code}: meaning and what to do`);
    }
    for (const code of rows.keys())
      assert.ok(code in ERRORS, `docs/errors.md lists ${code}, which does not exist`);
  });

  it('raises every code somewhere in the code (no unused code)', () => {
    const text = runtimeSources(SRC).join('\n');
    const unused = CODES.filter((code) => !text.includes(`'${code}'`));
    assert.deepEqual(unused, []);
  });

  it('gives each code a 4xx or 5xx status and a generic message', () => {
    for (const code of CODES) {
      const { status, message } = ERRORS[code];
      assert.ok(status >= 400 && status < 600, code);
      assert.ok(message.length > 0 && !message.includes('VIGIL_ERR'), code);
      const e = new VigilError(code, 'detail for the log');
      assert.equal(e.status, status);
      assert.equal(e.message, `${message}: detail for the log`);
    }
  });
});
