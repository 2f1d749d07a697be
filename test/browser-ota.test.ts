/**
 * The dashboard's OTA page in headless Chromium against a real in-process Vigil: an admin with MFA
 * starts a campaign from the page, two simulated devices download, verify and confirm the image,
 * and the page shows the campaign completed and the version each device reports running; a viewer
 * sees the campaigns but no control.
 * Screenshots go to VIGIL_SCREENSHOTS_DIR when set, else to a temp directory that is removed.
 * Needs `npm run build:web` and /usr/bin/chromium (skipped without them).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { publicKeyText } from '../src/ota/firmware-manifest.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import { enrolledUser, signInPage } from './helpers/browser.ts';
import { newPage, openChromium, chromiumSkip as skip, WEB_ROOT } from './helpers/chromium.ts';
import { type Instance, startInstance } from './helpers/instance.ts';
import { uploadSigned } from './helpers/signed-firmware.ts';

test('OTA page: an admin starts a campaign and sees it complete; a viewer gets no control', {
  skip,
  timeout: 120_000,
}, async () => {
  const signer = generateKeyPairSync('ed25519');
  const inst: Instance = await startInstance(
    {
      ota: { trustedKeys: [publicKeyText(signer.publicKey)], tickMs: 200 },
      commands: { resendAfterSeconds: 1 },
    },
    undefined,
    { webRoot: WEB_ROOT },
  );
  const sims: SimDevice[] = [];
  const { browser, shots, done } = await openChromium();
  const problems: string[] = [];
  try {
    for (const id of ['probe-ota-001', 'probe-ota-002']) {
      const d = new SimDevice(await inst.addDevice(id, 'temperature-probe'), { brokerUrl: inst.url });
      sims.push(d);
      await d.connect();
    }
    const img = randomBytes(32 * 1024);
    await uploadSigned(inst, signer.privateKey, img, '2.0.0');
    const admin = await enrolledUser(inst, 'ota-admin', 'admin');
    const viewer = await enrolledUser(inst, 'ota-viewer', 'viewer');
    const page = await newPage(browser, problems);
    await signInPage(page, inst.httpUrl, admin);
    await page.goto(`${inst.httpUrl}/#/ota`);
    await page.getByTestId('ota-firmware-table').waitFor();
    await page.getByTestId('ota-start').click();
    await page.getByTestId('ota-wave').fill('50');
    await page.getByTestId('ota-start-confirm').click();
    await page.getByTestId('ota-state-2.0.0').filter({ hasText: 'completed' }).waitFor({ timeout: 60_000 });
    await page.getByTestId('ota-device-table').waitFor();
    await page
      .getByTestId('ota-device-probe-ota-002')
      .filter({ hasText: 'succeeded' })
      .waitFor({ timeout: 10_000 });
    for (const d of sims) assert.equal(d.firmware.version, '2.0.0');
    // The version each device reports running after its reboot.
    await page
      .getByTestId('ota-running-probe-ota-002')
      .filter({ hasText: '2.0.0' })
      .waitFor({ timeout: 10_000 });
    const audit = await inst.ctx.store.queryAudit({ action: 'ota.start' });
    assert.equal(audit[0]?.actor, 'user:ota-admin');
    await page.screenshot({ path: join(shots, 'ota.png'), fullPage: true });

    const vpage = await newPage(browser, problems);
    await signInPage(vpage, inst.httpUrl, viewer);
    await vpage.goto(`${inst.httpUrl}/#/ota`);
    await vpage.getByTestId('ota-campaign-table').waitFor();
    assert.equal(await vpage.getByTestId('ota-start').count(), 0, 'a viewer cannot start a campaign');
    assert.equal(await vpage.getByTestId('ota-abort-2.0.0').count(), 0);
    assert.deepEqual(problems, []);
  } finally {
    await done();
    for (const d of sims) await d.close();
    await inst.destroy();
  }
});
