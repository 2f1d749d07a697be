/**
 * deploy/systemd/vigil.service: `systemd-analyze verify` accepts it, its hardening is the one
 * the deployment promises, it hands the master key over as the credential Vigil reads, and
 * `systemd-analyze security` rates its exposure (offline, from the file).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, test } from 'node:test';
import { promisify } from 'node:util';
import { MASTER_KEY_CREDENTIAL } from '../src/keys/master-key-source.ts';

const run = promisify(execFile);
const ANALYZE = '/usr/bin/systemd-analyze';
const UNIT = join(import.meta.dirname, '..', 'deploy', 'systemd', 'vigil.service');
const PACKAGED_NODE = '/usr/local/lib/node_modules/vigil/node_modules/node/bin/node';

/** The unit with its ExecStart binary pointed at this machine's Node (verify checks it exists). */
function localCopy(dir: string, text = readFileSync(UNIT, 'utf8')): string {
  const path = join(dir, 'vigil.service');
  writeFileSync(path, text.replace(PACKAGED_NODE, process.execPath));
  return path;
}

if (!existsSync(ANALYZE)) {
  test('systemd unit', (t) => t.skip('skipped: systemd-analyze not installed (Debian package systemd)'));
} else {
  describe('deploy/systemd/vigil.service', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-systemd-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const unit = readFileSync(UNIT, 'utf8');
    const lines = new Set(unit.split('\n').map((l) => l.trim()));

    it('passes systemd-analyze verify', async () => {
      const { stdout, stderr } = await run(ANALYZE, ['verify', '--man=no', localCopy(dir)], { cwd: dir });
      assert.equal(`${stdout}${stderr}`.trim(), '');
    });

    it('systemd-analyze verify does catch a broken unit (the check is real)', async () => {
      const path = join(dir, 'vigil.service');
      writeFileSync(path, unit.replace(PACKAGED_NODE, join(dir, 'no-such-node')));
      await assert.rejects(run(ANALYZE, ['verify', '--man=no', path], { cwd: dir }), /not executable/);
    });

    it('has the promised hardening, a dedicated user and the data dir as the only writable path', () => {
      for (const l of [
        'NoNewPrivileges=yes',
        'ProtectSystem=strict',
        'ProtectHome=yes',
        'PrivateTmp=yes',
        'CapabilityBoundingSet=',
        'ReadWritePaths=/var/lib/vigil',
        'SystemCallFilter=@system-service',
        'User=vigil',
        'Group=vigil',
        'MemoryDenyWriteExecute=no',
      ])
        assert.ok(lines.has(l), `${l} is in the unit`);
      assert.ok(!/^DynamicUser=yes/m.test(unit));
      assert.match(unit, /MemoryDenyWriteExecute=yes would stop Node/, 'why it is off is stated');
    });

    it('hands the master key over as the credential Vigil reads from $CREDENTIALS_DIRECTORY', () => {
      assert.ok(lines.has(`LoadCredential=${MASTER_KEY_CREDENTIAL}:/etc/vigil/master.key`));
      assert.doesNotMatch(unit, /VIGIL_MASTER_KEY/, 'never the key in the environment');
    });

    it('rates as OK or better in systemd-analyze security', async () => {
      const { stdout } = await run(ANALYZE, ['security', '--offline=true', '--no-pager', localCopy(dir)], {
        cwd: dir,
      });
      const m = /Overall exposure level for vigil\.service: (\d+\.\d+) (\w+)/.exec(stdout);
      assert.ok(m, stdout.slice(-500));
      assert.ok(Number(m[1]) <= 2, `exposure ${m[1]} ${m[2]}`);
    });
  });
}
