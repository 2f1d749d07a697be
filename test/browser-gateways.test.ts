/**
 * The dashboard's gateways view and "via GW-ID" on a relayed device, in headless Chromium
 * against a real in-process Vigil with a gateway status report received over mTLS.
 * Screenshots go to VIGIL_SCREENSHOTS_DIR when set, else to a temp directory that is removed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { addGateway } from '../src/gateway/gateway-admin.ts';
import { enrolledUser, signInPage } from './helpers/browser.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = resolve(fileURLToPath(new URL('../', import.meta.url)));
const WEB_INDEX = join(ROOT, 'web/dist/index.html');
const skip = !existsSync(CHROMIUM) ? `no ${CHROMIUM}` : !existsSync(WEB_INDEX) ? 'web/dist not built' : false;

test('gateways view and "via GW-ID" on a relayed device', { skip, timeout: 120_000 }, async () => {
  const { chromium } = await import('playwright-core');
  const shots = process.env.VIGIL_SCREENSHOTS_DIR ?? mkdtempSync(join(tmpdir(), 'vigil-shots-'));
  mkdirSync(shots, { recursive: true });
  const inst: Instance = await startInstance({}, undefined, { webRoot: join(ROOT, 'web/dist') });
  await inst.addDevice('probe-site-01', 'temperature-probe');
  await inst.addDevice('probe-site-02', 'temperature-probe');
  const made = await addGateway(inst.ctx, {
    id: 'depot-gw',
    devices: ['probe-site-01', 'probe-site-02'],
    actor: 'test',
  });
  await inst.server.gateways.load();
  // The gateway's status report, as `vigil gateway` sends it, over mTLS with its certificate.
  const gw = mqtt.connect(inst.url, {
    clientId: 'depot-gw',
    ca: made.caPem,
    cert: made.certPem,
    key: made.keyPem,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
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
    await new Promise<void>((r, j) => {
      gw.once('connect', () => r());
      gw.once('error', j);
    });
    const status = {
      uplink: 'up',
      queueDepth: 1250,
      queueBytes: 4_400_000,
      maxQueueBytes: 268_435_456,
      oldestQueuedAgeMs: 95_000,
      queueFull: false,
      devicesOnline: 1,
      devicesBound: 2,
      forwarded: 10,
      commandsQueued: 0,
    };
    gw.publish('vigil/v1/gateways/depot-gw/status', JSON.stringify(status), { qos: 1, retain: true });
    await waitFor('status received', () => inst.server.gateways.views()[0]?.status?.queueDepth === 1250);
    const admin = await enrolledUser(inst, 'gw-viewer', 'viewer');
    const ctx = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      ignoreHTTPSErrors: true,
      locale: 'en-GB',
    });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await signInPage(page, inst.httpUrl, admin);
    await page.goto(`${inst.httpUrl}/#/gateways`);
    await page.getByTestId('gateway-row-depot-gw').waitFor();
    const row = await page.getByTestId('gateway-row-depot-gw').innerText();
    assert.match(row, /uplink up/);
    assert.match(row, /1,?250/);
    assert.match(row, /1 of 2/);
    await page.screenshot({ path: join(shots, 'gateways.png'), fullPage: true });
    await page.goto(`${inst.httpUrl}/#/overview`);
    await page.getByTestId('via-probe-site-01').waitFor();
    assert.match(await page.getByTestId('via-probe-site-01').innerText(), /via depot-gw/);
    await page.goto(`${inst.httpUrl}/#/device/probe-site-02`);
    await page.getByTestId('device-via').waitFor();
    assert.equal(await page.getByTestId('device-via').innerText(), 'via depot-gw');
    await page.screenshot({ path: join(shots, 'device-via-gateway.png') });
    assert.deepEqual(problems, []);
  } finally {
    gw.end(true);
    await browser.close();
    await inst.destroy();
    if (!process.env.VIGIL_SCREENSHOTS_DIR) rmSync(shots, { recursive: true, force: true });
  }
});
