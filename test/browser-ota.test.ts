/**
 * The dashboard's OTA page in headless Chromium against a real in-process Vigil: an admin with MFA
 * starts a campaign from the page, two simulated devices download, verify and confirm the image,
 * and the page shows the campaign completed; a viewer sees the campaigns but no control.
 * Screenshots go to VIGIL_SCREENSHOTS_DIR when set, else to a temp directory that is removed.
 * Needs `npm run build:web` and /usr/bin/chromium (skipped without them).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { publicKeyText, signManifest } from '../src/ota/firmware-manifest.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import { enrolledUser, signInPage } from './helpers/browser.ts';
import { type Instance, startInstance } from './helpers/instance.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = resolve(fileURLToPath(new URL('../', import.meta.url)));
const WEB_INDEX = join(ROOT, 'web/dist/index.html');
const skip = !existsSync(CHROMIUM) ? `no ${CHROMIUM}` : !existsSync(WEB_INDEX) ? 'web/dist not built' : false;

test('OTA page: an admin starts a campaign and sees it complete; a viewer gets no control', {
  skip,
  timeout: 120_000,
}, async () => {
  const { chromium } = await import('playwright-core');
  const shots = process.env.VIGIL_SCREENSHOTS_DIR ?? mkdtempSync(join(tmpdir(), 'vigil-shots-'));
  mkdirSync(shots, { recursive: true });
  const signer = generateKeyPairSync('ed25519');
  const inst: Instance = await startInstance(
    {
      ota: { trustedKeys: [publicKeyText(signer.publicKey)], tickMs: 200 },
      commands: { resendAfterSeconds: 1 },
    },
    undefined,
    { webRoot: join(ROOT, 'web/dist') },
  );
  const sims: SimDevice[] = [];
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const problems: string[] = [];
  try {
    for (const id of ['probe-ota-001', 'probe-ota-002']) {
      const d = new SimDevice(await inst.addDevice(id, 'temperature-probe'), { brokerUrl: inst.url });
      sims.push(d);
      await d.connect();
    }
    const img = randomBytes(32 * 1024);
    const m = signManifest({
      image: img,
      version: '2.0.0',
      profile: 'temperature-probe',
      privateKey: signer.privateKey,
    });
    await inst.server.ota.firmware.add(img, JSON.stringify(m), 'test');
    const admin = await enrolledUser(inst, 'ota-admin', 'admin');
    const viewer = await enrolledUser(inst, 'ota-viewer', 'viewer');
    const ctx = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      ignoreHTTPSErrors: true,
      locale: 'en-GB',
    });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/status of 401/.test(msg.text()))
        problems.push(`console: ${msg.text()}`);
    });
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
    const audit = await inst.ctx.store.queryAudit({ action: 'ota.start' });
    assert.equal(audit[0]?.actor, 'user:ota-admin');
    await page.screenshot({ path: join(shots, 'ota.png'), fullPage: true });

    const vctx = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      ignoreHTTPSErrors: true,
    });
    const vpage = await vctx.newPage();
    await signInPage(vpage, inst.httpUrl, viewer);
    await vpage.goto(`${inst.httpUrl}/#/ota`);
    await vpage.getByTestId('ota-campaign-table').waitFor();
    assert.equal(await vpage.getByTestId('ota-start').count(), 0, 'a viewer cannot start a campaign');
    assert.equal(await vpage.getByTestId('ota-abort-2.0.0').count(), 0);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    for (const d of sims) await d.close();
    await inst.destroy();
    if (!process.env.VIGIL_SCREENSHOTS_DIR) rmSync(shots, { recursive: true, force: true });
  }
});
