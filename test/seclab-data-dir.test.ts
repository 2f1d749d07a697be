/**
 * `vigil seclab --data-dir DIR` against a `vigil start` running on DIR: it attacks that server
 * through throwaway devices and users named after the run, and takes them away afterwards
 * (devices revoked, users disabled), leaving the installation's own records alone.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { SeclabReport } from '../src/seclab/seclab-types.ts';
import { freePort, runVigil, spawnVigil } from './helpers/run-vigil.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-seclab-datadir-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ndjson = (s: string) =>
  s
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('vigil seclab --data-dir', () => {
  it('attacks the running server with throwaway devices and users, and revokes and disables them afterwards', {
    timeout: 300_000,
  }, async () => {
    const data = join(dir, 'data');
    const init = await runVigil(['init'], { dataDir: data });
    assert.equal(init.code, 0, init.stderr);
    const own = await runVigil(['device', 'add', 'fridge-01', '--profile', 'temperature-probe'], {
      dataDir: data,
    });
    assert.equal(own.code, 0, own.stderr);
    const server = spawnVigil(
      ['start', '--mqtt-port', String(await freePort()), '--http-port', String(await freePort())],
      { dataDir: data, timeoutMs: 280_000 },
    );
    try {
      await server.waitFor(/press Ctrl-C to stop/, 60_000);
      const r = await runVigil(
        [
          'seclab',
          '--quick',
          '--json',
          '--only',
          'mqtt.sys-subscribe,tamper.bitflip-mac,api.token-misuse,replay.after-restart',
        ],
        { dataDir: data, timeoutMs: 200_000 },
      );
      assert.equal(r.code, 0, r.stderr.slice(-3000));
      const report = JSON.parse(r.stdout) as SeclabReport;
      assert.equal(report.target.kind, 'data-dir');
      assert.equal(report.target.pid, server.child.pid);
      const verdicts = Object.fromEntries(report.scenarios.map((s) => [s.id, s.verdict]));
      assert.deepEqual(verdicts, {
        'mqtt.sys-subscribe': 'refused',
        'tamper.bitflip-mac': 'refused',
        'api.token-misuse': 'refused',
        // Seclab restarts only a Vigil it started itself.
        'replay.after-restart': 'skipped',
      });
      // The report lands in the data directory, where the system page looks.
      const runs = readdirSync(join(data, 'seclab'));
      assert.equal(runs.length, 1);
      const saved = JSON.parse(
        readFileSync(join(data, 'seclab', runs[0] as string, 'seclab-report.json'), 'utf8'),
      ) as SeclabReport;
      assert.deepEqual(saved.summary, report.summary);

      // Every device and user of the run is taken away; the installation's own device is untouched.
      const devices = ndjson((await runVigil(['device', 'list', '--json'], { dataDir: data })).stdout);
      const labDevices = devices.filter((d) => String(d.id).startsWith('seclab-'));
      assert.ok(labDevices.length > 0, 'the run provisioned devices');
      for (const d of labDevices) assert.equal(d.status, 'revoked', String(d.id));
      assert.equal(devices.find((d) => d.id === 'fridge-01')?.status, 'enabled');
      const users = ndjson((await runVigil(['user', 'list', '--json'], { dataDir: data })).stdout);
      const labUsers = users.filter((u) => String(u.name).startsWith('seclab-'));
      assert.ok(labUsers.length > 0, 'the run created users');
      for (const u of labUsers) assert.equal(u.status, 'disabled', String(u.name));
      assert.equal(server.child.exitCode, null, 'the server still runs');
    } finally {
      const stopped = await server.stop();
      assert.equal(stopped.code, 0, stopped.stderr.slice(-2000));
    }
  });
});
