import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseProcLimits, raiseNoFileLimit, readNoFileLimit } from './fd-limit.ts';

const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;

describe('fd-limit', () => {
  it('parses the open-files line of /proc/<pid>/limits', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max processes             63446                63446                processes ',
      'Max open files            1024                 524288               files     ',
    ].join('\n');
    assert.deepEqual(parseProcLimits(text), { soft: 1024, hard: 524288 });
    assert.deepEqual(
      parseProcLimits('Max open files            unlimited            unlimited            files'),
      {
        soft: Number.POSITIVE_INFINITY,
        hard: Number.POSITIVE_INFINITY,
      },
    );
    assert.equal(parseProcLimits('nothing here'), null);
  });

  it('raises a lowered soft limit back to the hard limit with prlimit, and reports it', {
    skip: !hasPrlimit && 'prlimit (util-linux) not installed',
  }, () => {
    // In a child process: lowering this test process's own limit could starve the runner.
    const script = `
      import { execFileSync } from 'node:child_process';
      import { raiseNoFileLimit, readNoFileLimit } from ${JSON.stringify(new URL('./fd-limit.ts', import.meta.url).pathname)};
      const { hard } = readNoFileLimit();
      execFileSync('prlimit', ['--pid=' + process.pid, '--nofile=256:' + hard]);
      const lowered = readNoFileLimit();
      const r = raiseNoFileLimit();
      console.log(JSON.stringify({ lowered, r }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const { lowered, r } = JSON.parse(out);
    assert.equal(lowered.soft, 256);
    assert.equal(r.how, 'prlimit');
    assert.equal(r.before.soft, 256);
    assert.equal(r.after.soft, r.after.hard);
    assert.equal(r.after.hard, lowered.hard);
  });

  it('reports "already" when the soft limit is at the hard limit, and "failed" without prlimit', () => {
    const at = { soft: 4096, hard: 4096 };
    assert.equal(raiseNoFileLimit({ read: () => at }).how, 'already');
    const low = { soft: 256, hard: 4096 };
    const r = raiseNoFileLimit({ read: () => low, prlimitPath: '/nonexistent/prlimit' });
    assert.equal(r.how, 'failed');
    assert.ok(r.error);
    assert.equal(raiseNoFileLimit({ read: () => null }).how, 'unknown');
  });

  it('reads this process limit on Linux', { skip: process.platform !== 'linux' && 'no /proc' }, () => {
    const l = readNoFileLimit();
    assert.ok(l && l.soft > 0 && l.hard >= l.soft);
  });
});
