/**
 * The dashboard's device control panel and the system page's lifecycle and claims, in headless
 * Chromium against a real in-process Vigil: an admin with MFA sends a command with its reason and
 * sees it acked by a simulated device, approves a pending claim; a viewer sees no control form.
 * Screenshots go to VIGIL_SCREENSHOTS_DIR when set, else to a temp directory that is removed.
 * Needs `npm run build:web` and /usr/bin/chromium (skipped without them).
 */

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lifecycleOf } from '../src/server/lifecycle-wiring.ts';
import { ClaimDevice } from '../src/sim/claim-device.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import { CHROMIUM, enrolledUser, launchChromium, signInPage } from './helpers/browser.ts';
import { screenshotsDir } from './helpers/chromium.ts';
import { type Instance, startInstance, truckSample, waitFor } from './helpers/instance.ts';

const ROOT = resolve(fileURLToPath(new URL('../', import.meta.url)));
const WEB_INDEX = join(ROOT, 'web/dist/index.html');
const skip = !existsSync(CHROMIUM) ? `no ${CHROMIUM}` : !existsSync(WEB_INDEX) ? 'web/dist not built' : false;

test('device control panel and claims in the dashboard', { skip, timeout: 120_000 }, async () => {
  const { dir: shots, remove: removeShots } = screenshotsDir();
  const inst: Instance = await startInstance({ commands: { resendAfterSeconds: 1 } }, undefined, {
    webRoot: join(ROOT, 'web/dist'),
  });
  const sim = new SimDevice(await inst.addDevice('truck-ctl-001'), { brokerUrl: inst.url });
  const browser = await launchChromium();
  const problems: string[] = [];
  let claimer: Promise<unknown> = Promise.resolve();
  try {
    await sim.connect();
    sim.record(truckSample(), [], true);
    const b = await lifecycleOf(inst.server).claims.createBatch({
      name: 'ward-batch',
      uses: 3,
      expiresMs: 86_400_000,
      actor: 'test',
    });
    const claim = new ClaimDevice({
      brokerUrl: inst.url,
      batch: 'ward-batch',
      serial: 'SN-WARD-0007',
      profile: 'temperature-probe',
      ca: b.caPem,
      claimCert: b.certPem,
      claimKey: b.keyPem,
      dir: join(inst.dataDir, 'claimed'),
      retryMs: 500,
    });
    claimer = claim.provision(60_000).catch(() => {});
    const admin = await enrolledUser(inst, 'ctl-admin', 'admin');
    const viewer = await enrolledUser(inst, 'ctl-viewer', 'viewer');

    const ctx = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      ignoreHTTPSErrors: true,
      locale: 'en-GB',
    });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    await signInPage(page, inst.httpUrl, admin);
    await page.goto(`${inst.httpUrl}/#/device/truck-ctl-001`);
    await page.getByTestId('command-form').waitFor();
    await page.getByTestId('command-op').selectOption('set_interval');
    await page.getByTestId('command-arg-seconds').fill('30');
    await page.getByTestId('command-reason').fill('slower sampling while parked');
    await page.getByTestId('command-send').click();
    await page.getByTestId('command-row-set_interval').getByText('acked (ok)').waitFor({ timeout: 20_000 });
    assert.equal(sim.intervalMs, 30_000);
    await page.getByTestId('lifecycle-kid').getByText('kid 1').waitFor();
    await page.getByTestId('lifecycle-card').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'device-control.png'), fullPage: true });
    const audit = await inst.ctx.store.queryAudit({ action: 'command.queued' });
    assert.equal(audit.find((a) => a.detail.op === 'set_interval')?.actor, 'user:ctl-admin');
    assert.equal(
      audit.find((a) => a.detail.op === 'set_interval')?.detail.reason,
      'slower sampling while parked',
    );

    await page.goto(`${inst.httpUrl}/#/system`);
    await page.getByTestId('claim-approve-SN-WARD-0007').waitFor({ timeout: 20_000 });
    await page.getByTestId('rotation-status').waitFor();
    await page.screenshot({ path: join(shots, 'system-lifecycle.png'), fullPage: true });
    await page.getByTestId('claim-approve-SN-WARD-0007').click();
    await page.getByTestId('claim-device-id').fill('ward-probe-007');
    await page.getByTestId('claim-approve-confirm').click();
    await waitFor(
      'approved',
      async () =>
        (await inst.ctx.lifecycleStores.claims.getClaim('SN-WARD-0007'))?.deviceId === 'ward-probe-007',
    );
    await claimer;

    const vctx = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      ignoreHTTPSErrors: true,
    });
    const vpage = await vctx.newPage();
    await signInPage(vpage, inst.httpUrl, viewer);
    await vpage.goto(`${inst.httpUrl}/#/device/truck-ctl-001`);
    await vpage.getByTestId('command-table').waitFor();
    assert.equal(await vpage.getByTestId('command-form').count(), 0, 'a viewer gets no control form');
    assert.deepEqual(problems, []);
  } finally {
    await claimer;
    await browser.close();
    await sim.close();
    await inst.destroy();
    removeShots();
  }
});
