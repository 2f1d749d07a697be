/**
 * `vigil seclab --quick` as an operator runs it: a throwaway Vigil attacked by every family of the
 * quick run. Nothing may get through, and every scenario must have run.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FAMILIES, type SeclabReport } from '../src/seclab/seclab-types.ts';
import { runVigil } from './helpers/run-vigil.ts';

const out = mkdtempSync(join(tmpdir(), 'vigil-seclab-test-'));
after(() => rmSync(out, { recursive: true, force: true }));

describe('vigil seclab --quick', () => {
  it('attacks a throwaway Vigil with every family and nothing gets through', {
    timeout: 600_000,
  }, async () => {
    const r = await runVigil(['seclab', '--quick', '--out', out, '--json'], { timeoutMs: 590_000 });
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-3000)}`);
    const report = JSON.parse(r.stdout) as SeclabReport;
    assert.equal(
      report.summary.gotThrough,
      0,
      JSON.stringify(report.scenarios.filter((s) => s.verdict === 'got through')),
    );
    assert.equal(
      report.summary.errors,
      0,
      JSON.stringify(report.scenarios.filter((s) => s.verdict === 'error')),
    );
    assert.equal(report.mode, 'quick');
    assert.equal(report.target.kind, 'throwaway');
    for (const f of FAMILIES)
      assert.ok(
        report.scenarios.some((s) => s.family === f),
        `family ${f} ran`,
      );
    for (const s of report.scenarios) {
      assert.ok(s.attacked && s.expected && s.observed, `${s.id} states what, expected and observed`);
      assert.ok(s.service.sent > 0 || s.durationMs < 1000, `${s.id}: the good device was measured`);
    }
    // The report files, and the same numbers in them.
    assert.ok(existsSync(join(out, 'seclab-report.md')));
    const saved = JSON.parse(readFileSync(join(out, 'seclab-report.json'), 'utf8')) as SeclabReport;
    assert.deepEqual(saved.summary, report.summary);
    assert.match(
      readFileSync(join(out, 'seclab-report.md'), 'utf8'),
      /\| scenarios \| refused \| got through/,
    );
    // The throwaway instance and its process are gone.
    assert.equal(
      report.target.pid !== null && isAlive(report.target.pid),
      false,
      'the throwaway vigil stopped',
    );
  });

  it('refuses a target that is not on loopback, before sending anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-seclab-remote-'));
    try {
      const init = await runVigil(['init'], { dataDir: dir });
      assert.equal(init.code, 0, init.stderr);
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ http: { host: '192.0.2.10' } }));
      const r = await runVigil(['seclab', '--quick', '--data-dir', dir, '--out', join(dir, 'out')]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /loopback targets only: http\.host is 192\.0\.2\.10/);
      assert.equal(existsSync(join(dir, 'out')), false, 'no report: nothing was attacked');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses --quick together with --full', async () => {
    const r = await runVigil(['seclab', '--quick', '--full']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--quick and --full exclude each other/);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
