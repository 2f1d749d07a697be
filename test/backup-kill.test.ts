/**
 * A backup killed with SIGKILL half-way (staging directory or partial file on disk) leaves no
 * file that looks like a backup; the next start removes what it left, its database is intact,
 * and the next backup verifies.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Instance, MASTER_KEY_HEX, startInstance, waitFor } from './helpers/instance.ts';
import { runVigil } from './helpers/run-vigil.ts';

const BIN = fileURLToPath(new URL('../bin/vigil', import.meta.url));
let work: string | undefined;
let inst: Instance | undefined;

after(async () => {
  await inst?.destroy();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('kill -9 during a backup', () => {
  it('leaves nothing that looks like a backup, and the next start is clean', async () => {
    work = mkdtempSync(join(tmpdir(), 'vigil-backup-kill-'));
    const dataDir = join(work, 'node');
    const identity = join(work, 'id.txt');
    assert.equal((await runVigil(['init'], { dataDir })).code, 0);
    assert.equal(
      (await runVigil(['device', 'add', 'truck-0001', '--profile', 'vaccine-transport'], { dataDir })).code,
      0,
    );
    assert.equal((await runVigil(['backup', 'init', '--identity-out', identity], { dataDir })).code, 0);
    const backups = join(dataDir, 'backups');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      VIGIL_MASTER_KEY: MASTER_KEY_HEX,
      VIGIL_LOG_LEVEL: 'warn',
    };
    delete env.VIGIL_DATA_DIR;
    const child = spawn(process.execPath, [BIN, 'backup', 'create', '--data-dir', dataDir], {
      env,
      stdio: 'ignore',
    });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const left = await waitFor(
      'a backup in progress',
      () => {
        let names: string[] = [];
        try {
          names = readdirSync(backups);
        } catch {
          return undefined;
        }
        const busy = names.filter((n) => n.startsWith('.staging-') || n.endsWith('.partial'));
        return busy.length ? busy : undefined;
      },
      30_000,
    );
    child.kill('SIGKILL');
    await exited;
    assert.ok(left.length > 0);
    assert.deepEqual(
      readdirSync(backups).filter((n) => n.endsWith('.age')),
      [],
      'nothing that looks like a backup',
    );
    const list = await runVigil(['backup', 'list', '--json'], { dataDir });
    assert.equal(list.stdout.trim(), '', 'backup list ignores the remains');

    inst = await startInstance({}, dataDir, { webRoot: '/nonexistent-vigil-web' });
    assert.deepEqual(readdirSync(backups), [], 'the start removed the remains of the killed backup');
    assert.equal((await inst.ctx.store.verifyAudit()).ok, true);
    const r = await inst.server.continuity.backups.runNow();
    const v = await runVigil(['backup', 'verify', r.backup.file, '--identity', identity], { dataDir });
    assert.equal(v.code, 0, v.stderr);
  });
});
