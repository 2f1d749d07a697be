/**
 * The security lab on the API: the last report kept in the data directory (made by a real
 * `vigil seclab` run), its files, and starting a quick run (admin with MFA only; one at a time;
 * stopped with the server, leaving no process behind).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiRequest } from './helpers/api-client.ts';
import { type Browser, type EnrolledUser, enrolledUser, errCode, passwordOnly } from './helpers/browser.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';
import { runVigil } from './helpers/run-vigil.ts';

let inst: Instance;
let admin: EnrolledUser;
let viewer: EnrolledUser;
let halfAdmin: Browser;
const RUN_ID = '2026-12-01T10-00-00-000Z';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

before(async () => {
  inst = await startInstance({}, undefined, { webRoot: '/nonexistent-vigil-web' });
  admin = await enrolledUser(inst, 'lab-admin', 'admin');
  viewer = await enrolledUser(inst, 'lab-viewer', 'viewer');
  halfAdmin = await passwordOnly(inst, admin.name, admin.password);
});

after(async () => {
  await inst?.destroy();
});

describe('security lab API', () => {
  it('says there is no report before any run', async () => {
    const r = await viewer.browser.call('/api/v1/seclab');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { latest: null, running: null });
  });

  it('shows the last report of the data directory and serves its files', { timeout: 240_000 }, async () => {
    // A real (short) run, written where `vigil seclab --data-dir` keeps its reports.
    const out = join(inst.dataDir, 'seclab', RUN_ID);
    const run = await runVigil(['seclab', '--quick', '--only', 'tamper.bitflip-mac,mqtt.sys', '--out', out], {
      timeoutMs: 230_000,
    });
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    const r = await viewer.browser.call('/api/v1/seclab');
    const latest = (
      r.json as { latest: { id: string; summary: Record<string, number>; files: { report: string } } }
    ).latest;
    assert.equal(latest.id, RUN_ID);
    assert.equal(latest.summary.scenarios, 2);
    assert.equal(latest.summary.gotThrough, 0);
    const md = await viewer.browser.call(latest.files.report);
    assert.equal(md.status, 200);
    assert.match(String(md.headers['content-type']), /^text\/plain/);
    assert.match(md.text, /^# Vigil seclab report/);
    const json = await viewer.browser.call(`/api/v1/seclab/runs/${RUN_ID}/files/seclab-report.json`);
    assert.equal((json.json as { kind: string }).kind, 'vigil-seclab-report');
    for (const bad of ['..%2Fconfig.json', 'seclab.log', 'vigil.db']) {
      const x = await viewer.browser.call(`/api/v1/seclab/runs/${RUN_ID}/files/${bad}`);
      assert.ok(x.status === 400 || x.status === 404, `${bad}: ${x.status}`);
    }
    const missing = await viewer.browser.call(`/api/v1/seclab/runs/${RUN_ID}/files/nothing.svg`);
    assert.equal(missing.status, 404);
  });

  it('lets only an admin signed in with MFA start a quick run (no API token); one at a time; the server stop ends it', {
    timeout: 120_000,
  }, async () => {
    const byViewer = await viewer.browser.post('/api/v1/seclab/runs');
    assert.equal(byViewer.status, 403);
    assert.equal(errCode(byViewer), 'VIGIL_ERR_FORBIDDEN');
    const byHalf = await halfAdmin.post('/api/v1/seclab/runs');
    assert.equal(errCode(byHalf), 'VIGIL_ERR_MFA_REQUIRED');
    const crossSite = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
      method: 'POST',
      path: '/api/v1/seclab/runs',
      headers: { origin: 'https://attacker.example', cookie: `__Host-vigil_session=${admin.browser.token}` },
    });
    assert.equal(errCode(crossSite), 'VIGIL_ERR_CSRF');
    // Not with an API token, not even an admin's: a standing token could keep the host busy.
    const minted = await admin.browser.post('/api/v1/tokens', { label: 'lab-ci', role: 'admin', ttlDays: 1 });
    assert.equal(minted.status, 201, minted.text);
    const byToken = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
      method: 'POST',
      path: '/api/v1/seclab/runs',
      headers: { authorization: `Bearer ${(minted.json as { token: string }).token}` },
    });
    assert.equal(byToken.status, 403, byToken.text);
    assert.equal(errCode(byToken), 'VIGIL_ERR_FORBIDDEN');

    const started = await admin.browser.post('/api/v1/seclab/runs');
    assert.equal(started.status, 202, started.text);
    const { id } = started.json as { id: string; startedAt: string };
    const again = await admin.browser.post('/api/v1/seclab/runs');
    assert.equal(again.status, 409);
    assert.equal(errCode(again), 'VIGIL_ERR_SECLAB_RUNNING');
    const state = await viewer.browser.call('/api/v1/seclab');
    assert.equal((state.json as { running: { id: string } }).running.id, id);
    const audit = await inst.ctx.store.queryAudit({ action: 'seclab.start', limit: 10 });
    assert.ok(audit.some((a) => a.object === id && a.actor === `user:${admin.name}`));

    // The run's own process; it starts a throwaway Vigil of its own.
    const pid = (audit.find((a) => a.object === id)?.detail.pid ?? 0) as number;
    assert.ok(pid > 0 && alive(pid));
    await inst.stop();
    await waitFor('the seclab run stopped with the server', () => !alive(pid), 15_000);
    // Stopped early: no report that could pass for a result.
    assert.equal(existsSync(join(inst.dataDir, 'seclab', id, 'seclab-report.json')), false);
    assert.ok(readdirSync(join(inst.dataDir, 'seclab', id)).includes('seclab.log'));
  });
});
