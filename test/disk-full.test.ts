/**
 * The data volume fills while devices publish (a size-limited tmpfs mounted for the data
 * directory; the tests run as root): Vigil stops acknowledging (the devices keep the readings in
 * their outboxes), raises the disk-full alarm, keeps serving reads and refuses changes; when space
 * returns it resumes by itself, and afterwards every recorded sample is stored exactly once and
 * the database is consistent.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_SUBJECT } from '../src/continuity/system-alarms.ts';
import { type SimFleet, startSimFleet } from '../src/sim/runner.ts';
import { apiRequest } from './helpers/api-client.ts';
import { fakeAuthenticator, sessionOf } from './helpers/fake-authenticator.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';

let mnt: string;
/** The simulated devices' own flash: a device's storage is not the server's volume. */
let flash: string | undefined;
let mounted = false;
let inst: Instance | undefined;
let fleet: SimFleet | undefined;

function tryMount(dir: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0] ?? 'mount failed';
  }
}

const why = (() => {
  mnt = mkdtempSync(join(tmpdir(), 'vigil-diskfull-'));
  const e = tryMount(mnt);
  mounted = e === null;
  return e;
})();

before(async () => {
  if (!mounted) return;
  const dataDir = join(mnt, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  flash = mkdtempSync(join(tmpdir(), 'vigil-diskfull-devices-'));
  symlinkSync(flash, join(dataDir, 'sim'));
  inst = await startInstance({}, dataDir, {
    authenticator: fakeAuthenticator,
    webRoot: '/nonexistent-vigil-web',
    alarmService: { anomaly: false },
    continuity: { checkMs: 300 },
  });
});

after(async () => {
  // After a failed assertion the volume may still be full: free it first, so nothing waits on it.
  if (mounted) rmSync(join(mnt, 'filler'), { force: true });
  await fleet?.stop();
  await inst?.destroy();
  if (mounted) execFileSync('umount', [mnt]);
  rmSync(mnt, { recursive: true, force: true });
  if (flash) rmSync(flash, { recursive: true, force: true });
});

/** Fills the volume with a file until ENOSPC; returns its path. */
function fill(dir: string): string {
  const p = join(dir, 'filler');
  const fd = openSync(p, 'w');
  const chunk = Buffer.alloc(256 * 1024, 1);
  try {
    for (let i = 0; i < 1000; i++) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return p;
}

describe(`disk full (${mounted ? 'size-limited tmpfs' : `skipped: ${why}`})`, {
  skip: mounted ? false : `tmpfs mount not permitted: ${why}`,
}, () => {
  it('stops acknowledging, alarms, serves reads only, resumes by itself and loses nothing', async () => {
    const i = inst as Instance;
    fleet = await startSimFleet(i.ctx, {
      profile: 'temperature-probe',
      devices: 4,
      rate: 10,
      brokerUrl: i.url,
      seed: 'diskfull',
      reconnect: { baseMs: 300, capMs: 1500 },
    });
    const f = fleet;
    await waitFor('publishing', async () => (await i.ctx.store.countReadings()) >= 40, 15_000);
    const filler = fill(mnt);
    const full = await waitFor(
      'disk-full state',
      () => i.server.continuity.readOnlyReason() ?? undefined,
      60_000,
    );
    assert.match(full, /full/);
    const alarm = await waitFor(
      'disk-full alarm',
      async () =>
        (await i.server.alarms.list({ subject: SYSTEM_SUBJECT, rule: 'disk-full', state: 'active' }))[0],
    );
    assert.equal(alarm.severity, 'critical');
    // Reads go on; changes are refused with a clear code.
    const get = await apiRequest(i.httpUrl, i.ctx.ca.certPem, {
      path: '/api/v1/system',
      headers: sessionOf('viewer'),
    });
    assert.equal(get.status, 200, get.text);
    assert.equal((get.json as { readOnly: boolean }).readOnly, true);
    const post = await apiRequest(i.httpUrl, i.ctx.ca.certPem, {
      path: '/api/v1/devices/sim-probe-001/disable',
      method: 'POST',
      headers: { ...sessionOf('admin'), origin: i.httpUrl, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(post.status, 507, post.text);
    assert.equal((post.json as { error: { code: string } }).error.code, 'VIGIL_ERR_DISK_FULL');
    // Devices keep what is not acknowledged.
    const stored = await i.ctx.store.countReadings();
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok(f.totals().buffered > 0, 'the devices hold the unacknowledged readings');
    assert.equal(await i.ctx.store.countReadings(), stored, 'nothing is acknowledged while the disk is full');

    rmSync(filler);
    await waitFor('resumed', () => i.server.continuity.readOnlyReason() === null, 30_000);
    await waitFor(
      'alarm resolved',
      async () =>
        (await i.server.alarms.list({ subject: SYSTEM_SUBJECT, rule: 'disk-full', state: 'active' }))
          .length === 0,
      15_000,
    );
    await f.stop({ drainMs: 30_000 });
    assert.equal(f.totals().buffered, 0);
    for (const d of f.devices) {
      const rows = await i.ctx.store.queryReadings({ deviceId: d.id, limit: 100_000 });
      assert.equal(rows.length, d.stats.recorded, `${d.id}: stored ${rows.length} of ${d.stats.recorded}`);
      assert.equal(new Set(rows.map((r) => r.ts)).size, rows.length, `${d.id}: duplicate`);
    }
    assert.equal((await i.ctx.store.verifyAudit()).ok, true);
  });
});
