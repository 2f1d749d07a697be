/**
 * Files that hold keys, as an operator meets them: a `master.key` other users could read, and a
 * device bundle asked for in a directory other users can write to. Real `bin/vigil` processes.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openContext } from '../src/data-dir/context.ts';
import { isVigilError } from '../src/errors.ts';
import { freePort, runVigil, spawnVigil } from './helpers/run-vigil.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-key-safety-'));
after(() => rmSync(root, { recursive: true, force: true }));
const noKeyEnv = () => {
  const env = { ...process.env };
  delete env.VIGIL_MASTER_KEY;
  return env;
};

describe('master.key readable by other users', () => {
  it('refuses to open the data directory, naming the file, its mode and the override flag', async () => {
    const dir = join(root, 'exposed');
    const first = await runVigil(['init'], { dataDir: dir, masterKeyFile: true });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(statSync(join(dir, 'master.key')).mode & 0o777, 0o600);
    chmodSync(join(dir, 'master.key'), 0o644);
    const r = await runVigil(['device', 'list'], { dataDir: dir, masterKeyFile: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /master\.key has mode 0644: other users may have read the master key/);
    assert.match(r.stderr, /--accept-exposed-master-key/);
    assert.equal(statSync(join(dir, 'master.key')).mode & 0o777, 0o644, 'not silently chmod-ed');
  });

  it('opens with the override: mode set to 0600, a warning and an audit entry', async () => {
    const dir = join(root, 'accepted');
    await (await openContext({ dataDir: dir, env: noKeyEnv(), logLevel: 'silent', create: true })).close();
    chmodSync(join(dir, 'master.key'), 0o640);
    await assert.rejects(openContext({ dataDir: dir, env: noKeyEnv(), logLevel: 'silent' }), (e) =>
      isVigilError(e, 'VIGIL_ERR_MASTER_KEY'),
    );
    const ctx = await openContext({
      dataDir: dir,
      env: noKeyEnv(),
      logLevel: 'silent',
      acceptExposedMasterKey: true,
    });
    try {
      assert.equal(statSync(join(dir, 'master.key')).mode & 0o777, 0o600);
      const [entry] = await ctx.store.queryAudit({ action: 'system.master_key_exposed' });
      assert.equal(entry?.detail.mode, '0640');
    } finally {
      await ctx.close();
    }
  });

  it('vigil start refuses it before writing anything, and runs with --accept-exposed-master-key', async () => {
    const dir = join(root, 'start-exposed');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ mqtt: { host: '127.0.0.1' }, http: { host: '127.0.0.1' } }),
    );
    const init = await runVigil(['init'], { dataDir: dir, masterKeyFile: true });
    assert.equal(init.code, 0, init.stderr);
    chmodSync(join(dir, 'master.key'), 0o644);
    const before = readdirSync(dir, { recursive: true }).map(String).sort();
    const ports = ['--mqtt-port', String(await freePort()), '--http-port', String(await freePort())];
    const refused = await runVigil(['start', ...ports], { dataDir: dir, masterKeyFile: true });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /master\.key has mode 0644: other users may have read the master key/);
    assert.match(refused.stderr, /--accept-exposed-master-key/);
    assert.deepEqual(readdirSync(dir, { recursive: true }).map(String).sort(), before, 'nothing written');
    assert.equal(statSync(join(dir, 'master.key')).mode & 0o777, 0o644, 'not silently chmod-ed');

    const accepted = spawnVigil(['start', ...ports, '--accept-exposed-master-key'], {
      dataDir: dir,
      masterKeyFile: true,
    });
    await accepted.waitFor(/press Ctrl-C to stop/);
    const r = await accepted.stop();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /master key file was readable by other users; mode set to 0600/);
    assert.equal(statSync(join(dir, 'master.key')).mode & 0o777, 0o600);
  });
});

describe('device bundles', () => {
  it('refuses an --out directory other users can write to, and registers nothing', async () => {
    const dir = join(root, 'bundles');
    assert.equal((await runVigil(['init'], { dataDir: dir })).code, 0);
    const shared = join(root, 'shared-out');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const r = await runVigil(
      ['device', 'add', 'truck-shared-01', '--profile', 'vaccine-transport', '--out', shared],
      {
        dataDir: dir,
      },
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /can be written by other users \(mode 777\)/);
    assert.equal(existsSync(join(shared, 'device.key')), false);
    const list = await runVigil(['device', 'list', '--json'], { dataDir: dir });
    assert.ok(!list.stdout.includes('truck-shared-01'));
    const ok = await runVigil(
      [
        'device',
        'add',
        'truck-shared-01',
        '--profile',
        'vaccine-transport',
        '--out',
        join(root, 'mine', 'b'),
      ],
      {
        dataDir: dir,
      },
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(statSync(join(root, 'mine', 'b')).mode & 0o777, 0o700);
  });
});
