/**
 * The CLI as a user runs it: real `bin/vigil` processes against one data directory, alongside a
 * running server (a second command must work while `vigil start` runs).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Instance, startInstance } from './helpers/instance.ts';
import { runVigil } from './helpers/run-vigil.ts';

const _root = new URL('..', import.meta.url).pathname;
let inst: Instance;

const vigil = (args: string[], timeoutMs?: number) =>
  runVigil(args, { dataDir: inst.dataDir, ...(timeoutMs ? { timeoutMs } : {}) });

describe('vigil CLI', () => {
  before(async () => {
    inst = await startInstance();
  });
  after(() => inst.destroy());

  it('device add writes the whole bundle, secrets mode 0600', async () => {
    const out = join(inst.dataDir, 'bundle-cli');
    const r = await vigil(['device', 'add', 'truck-cli-001', '--profile', 'vaccine-transport', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    for (const f of ['ca.crt', 'device.crt', 'device.key', 'device.json', 'vigil_device_config.h']) {
      assert.ok(existsSync(join(out, f)), f);
    }
    assert.equal(statSync(join(out, 'device.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(out, 'device.json')).mode & 0o777, 0o600);
    const info = JSON.parse(readFileSync(join(out, 'device.json'), 'utf8'));
    assert.deepEqual(Object.keys(info).sort(), [
      'alg',
      'broker_url',
      'brokers',
      'firmware_keys',
      'id',
      'kid',
      'profile',
      'secret',
      'topic_prefix',
    ]);
    assert.equal(info.kid, 1);
    assert.deepEqual(info.brokers, [info.broker_url]);
    assert.match(info.secret, /^[A-Za-z0-9_-]{43}$/);
    assert.match(
      readFileSync(join(out, 'vigil_device_config.h'), 'utf8'),
      /#define VIGIL_DEVICE_ID\s+"truck-cli-001"/,
    );
    // The secret never reaches the audit log.
    const audit = await vigil(['audit', '--json']);
    assert.ok(!audit.stdout.includes(info.secret));
  });

  it('refuses bad input with a clear message and changes nothing', async () => {
    const bad = await vigil(['device', 'add', 'Bad_ID', '--profile', 'vaccine-transport']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /must match/);
    const noProfile = await vigil(['device', 'add', 'truck-cli-002']);
    assert.equal(noProfile.code, 2);
    assert.match(noProfile.stderr, /--profile/);
    const dup = await vigil([
      'device',
      'add',
      'truck-cli-001',
      '--profile',
      'vaccine-transport',
      '--out',
      join(inst.dataDir, 'dup'),
    ]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    const list = await vigil(['device', 'list', '--json']);
    assert.deepEqual(
      list.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).id),
      ['truck-cli-001'],
    );
    assert.equal((await vigil(['readings', 'nope-000'])).code, 1);
    assert.equal((await vigil(['readings', 'truck-cli-001', '--since', 'yesterday'])).code, 2);
    assert.equal((await vigil(['frobnicate'])).code, 2);
  });

  it('sim publishes through the real path while start runs, and readings --json prints NDJSON', async () => {
    const r = await vigil([
      'sim',
      '--devices',
      '2',
      '--profile',
      'temperature-probe',
      '--rate',
      '5',
      '--duration',
      '3s',
      '--broker',
      inst.url,
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /done: sent \d+, acknowledged \d+/);
    const rd = await vigil(['readings', 'sim-probe-001', '--json', '--limit', '5']);
    assert.equal(rd.code, 0, rd.stderr);
    const lines = rd.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(lines.length >= 3);
    for (const l of lines) {
      assert.equal(l.deviceId, 'sim-probe-001');
      assert.equal(typeof l.data.temp_c, 'number');
      assert.match(l.receivedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  });

  it('show, disable, enable and audit verify', async () => {
    const show = await vigil(['device', 'show', 'truck-cli-001', '--json']);
    assert.equal(JSON.parse(show.stdout).status, 'enabled');
    assert.equal((await vigil(['device', 'disable', 'truck-cli-001'])).code, 0);
    assert.equal(
      JSON.parse((await vigil(['device', 'show', 'truck-cli-001', '--json'])).stdout).status,
      'disabled',
    );
    assert.equal((await vigil(['device', 'enable', 'truck-cli-001'])).code, 0);
    const v = await vigil(['audit', 'verify']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /audit chain intact/);
    const audit = (await vigil(['audit', '--json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(audit.some((a) => a.action === 'device.disable' && a.object === 'truck-cli-001'));
  });
});
