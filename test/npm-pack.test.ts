/**
 * `npm pack` makes a tarball that installs and runs `vigil` through the pinned Node 24 (the
 * `node` package it depends on), even when the Node on the PATH is older: pack, install into a
 * temporary prefix, run `vigil --version`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('npm pack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pack-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('installs into a prefix and runs vigil --version on the pinned Node 24', {
    timeout: 600_000,
  }, async () => {
    // The dashboard is built by `pretest` (and by `prepack` on a plain `npm pack`).
    const { stdout: packed } = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
      {
        cwd: ROOT,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const [info] = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
    assert.ok(info);
    const files = info.files.map((f) => f.path);
    for (const f of ['bin/vigil', 'src/cli/main.ts', 'web/dist/index.html', 'LICENSE', 'README.md'])
      assert.ok(files.includes(f), `${f} is in the tarball`);
    assert.ok(!files.some((f) => f.endsWith('.test.ts') || f.startsWith('test/')), 'no tests in the tarball');
    const prefix = join(dir, 'prefix');
    await run(
      'npm',
      [
        'install',
        '-g',
        '--prefix',
        prefix,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        join(dir, info.filename),
      ],
      { cwd: dir, maxBuffer: 64 * 1024 * 1024, timeout: 500_000 },
    );
    // The system's PATH only: its Node may be older (20 on CI); the launcher hands over to the pinned one.
    const { stdout, stderr } = await run(join(prefix, 'bin', 'vigil'), ['--version'], {
      cwd: dir,
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: dir },
    });
    assert.match(
      stdout.trim(),
      new RegExp(`^vigil ${version.replaceAll('.', '\\.')} \\(Node v24\\.\\d+\\.\\d+\\)$`),
    );
    assert.equal(stderr, '', 'no warning');
  });
});
