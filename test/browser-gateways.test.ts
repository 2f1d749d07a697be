/**
 * The dashboard's Gateways page and "via GW-ID" on relayed devices, in headless Chromium against a
 * real Vigil: a running `vigil gateway` (in process) relaying for a connected device, a gateway
 * reporting a backlog over mTLS with its own certificate, and a revoked one. No console error or
 * CSP violation. Screenshots go to VIGIL_SCREENSHOTS_DIR when set (`npm run screenshots`), else
 * to a temp directory that is removed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { addGateway, revokeGateway } from '../src/gateway/gateway-admin.ts';
import { readGatewayBundle, writeGatewayBundle } from '../src/gateway/gateway-bundle.ts';
import { startGateway } from '../src/gateway/gateway-node.ts';
import type { DeviceBundleFiles } from '../src/sim/device-bundle.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import { CHROMIUM, enrolledUser, launchChromium, signInPage } from './helpers/browser.ts';
import { screenshotsDir } from './helpers/chromium.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  publish,
  startInstance,
  waitFor,
} from './helpers/instance.ts';

function watch(page: Page, problems: string[]): void {
  page.on('console', (m) => {
    if (/status of 401/.test(m.text()) && m.location().url.endsWith('/api/v1/auth/me')) return;
    if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text()))
      problems.push(`console ${m.type()}: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
}

test('gateways page: uplink, queue and devices of each gateway, a revoked one, and "via GW-ID" on relayed devices', {
  timeout: 180_000,
}, async (t) => {
  if (!existsSync(CHROMIUM)) return t.skip('skipped: chromium not installed');
  const { dir: shots, remove: removeShots } = screenshotsDir('vigil-gateways-shots-');
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-gateways-'));
  const inst: Instance = await startInstance({ pki: { crlPollMs: 200 } });
  const cleanup: (() => Promise<unknown>)[] = [];
  let browser: Browser | undefined;
  try {
    const bundles = new Map<string, DeviceBundleFiles>();
    for (const id of [
      'cold-store-01',
      'cold-store-02',
      'clinic-fridge-01',
      'clinic-fridge-02',
      'clinic-fridge-03',
    ])
      bundles.set(id, await inst.addDevice(id, 'temperature-probe'));
    await inst.addDevice('old-site-probe', 'temperature-probe');

    // A running gateway relaying for one connected device of two.
    const depot = await addGateway(inst.ctx, {
      id: 'depot-gw',
      devices: ['cold-store-01', 'cold-store-02'],
      actor: 'test',
    });
    await waitFor('depot-gw loaded', () => inst.server.gateways.gatewayOf('cold-store-01') === 'depot-gw');
    mkdirSync(join(tmp, 'depot-bundle'));
    writeGatewayBundle(join(tmp, 'depot-bundle'), { ...depot, upstreamUrl: inst.url });
    const gw = await startGateway({
      bundle: readGatewayBundle(join(tmp, 'depot-bundle')),
      dataDir: join(tmp, 'depot-gw'),
      listenPort: 0,
      listenHost: '127.0.0.1',
      maxQueueBytes: 256 * 1024 ** 2,
      window: 64,
      statusIntervalMs: 1000,
    });
    cleanup.push(() => gw.close());
    const sim = new SimDevice(bundles.get('cold-store-01') as DeviceBundleFiles, {
      brokerUrl: `mqtts://127.0.0.1:${gw.port}`,
    });
    cleanup.push(() => sim.close());
    await sim.connect();
    sim.record({ ts: Date.now() - 1000, temp_c: 3.8 }, [], true);
    await waitFor(
      'relayed reading stored',
      async () => (await inst.ctx.store.countReadings('cold-store-01')) === 1,
    );
    await waitFor('depot-gw reports one device online', () =>
      inst.server.gateways.views().find((g) => g.id === 'depot-gw' && g.status?.devicesOnline === 1),
    );

    // A gateway draining a backlog after an outage, as it reports itself (its own certificate).
    const clinic = await addGateway(inst.ctx, {
      id: 'clinic-gw',
      devices: ['clinic-fridge-01', 'clinic-fridge-02', 'clinic-fridge-03'],
      actor: 'test',
    });
    await waitFor(
      'clinic-gw loaded',
      () => inst.server.gateways.gatewayOf('clinic-fridge-01') === 'clinic-gw',
    );
    const c = await connectDevice(inst.url, {
      info: { id: 'clinic-gw' },
      cert: clinic.certPem,
      key: clinic.keyPem,
      ca: clinic.caPem,
    } as unknown as DeviceBundleFiles);
    cleanup.push(() => closeClient(c));
    await publish(
      c,
      'vigil/v1/gateways/clinic-gw/status',
      JSON.stringify({
        uplink: 'up',
        queueDepth: 1250,
        queueBytes: 4_400_000,
        maxQueueBytes: 268_435_456,
        oldestQueuedAgeMs: 2_700_000,
        queueFull: false,
        devicesOnline: 3,
        devicesBound: 3,
        forwarded: 310,
        commandsQueued: 0,
      }),
    );
    await waitFor('clinic-gw status', () =>
      inst.server.gateways.views().find((g) => g.id === 'clinic-gw' && g.status?.queueDepth === 1250),
    );

    // A revoked one.
    await addGateway(inst.ctx, { id: 'old-site-gw', devices: ['old-site-probe'], actor: 'test' });
    await revokeGateway(inst.ctx, { id: 'old-site-gw', actor: 'test' });
    await waitFor('old-site-gw revoked', () =>
      inst.server.gateways.views().find((g) => g.id === 'old-site-gw' && g.revoked),
    );

    const viewer = await enrolledUser(inst, 'gw-viewer', 'viewer');
    browser = await launchChromium();
    const ctx = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      ignoreHTTPSErrors: true,
      locale: 'en-GB',
      timezoneId: 'Europe/Amsterdam',
    });
    const page = await ctx.newPage();
    const problems: string[] = [];
    watch(page, problems);
    await signInPage(page, inst.httpUrl, viewer);

    await page.goto(`${inst.httpUrl}/#/gateways`);
    await page.getByTestId('gateway-row-depot-gw').waitFor({ timeout: 15_000 });
    const depotRow = await page.getByTestId('gateway-row-depot-gw').innerText();
    assert.match(depotRow, /uplink up/);
    assert.match(depotRow, /1 of 2/);
    assert.match(depotRow, /cold-store-01/);
    const clinicRow = await page.getByTestId('gateway-row-clinic-gw').innerText();
    assert.match(clinicRow, /uplink up/);
    assert.match(clinicRow, /1,250/);
    assert.match(clinicRow, /3 of 3/);
    assert.match(clinicRow, /45 ?min/);
    assert.match(await page.getByTestId('gateway-row-old-site-gw').innerText(), /revoked/);
    await page.screenshot({ path: join(shots, 'gateways.png'), fullPage: true });

    await page.goto(`${inst.httpUrl}/#/overview`);
    await page.getByTestId('via-cold-store-01').waitFor({ timeout: 15_000 });
    assert.match(await page.getByTestId('via-cold-store-01').innerText(), /via depot-gw/);
    assert.match(await page.getByTestId('via-clinic-fridge-02').innerText(), /via clinic-gw/);
    // A revoked gateway relays for nobody: its device is not shown as relayed.
    assert.equal(await page.getByTestId('via-old-site-probe').count(), 0);
    await page.screenshot({ path: join(shots, 'overview-via-gateway.png') });

    await page.goto(`${inst.httpUrl}/#/device/cold-store-01`);
    await page.getByTestId('device-via').waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('device-via').innerText(), 'via depot-gw');
    await page.screenshot({ path: join(shots, 'device-via-gateway.png') });

    // On a 390 px phone: the table stacks, nothing scrolls sideways.
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      ignoreHTTPSErrors: true,
      locale: 'en-GB',
    });
    await phone.addCookies(await ctx.cookies(inst.httpUrl));
    const pp = await phone.newPage();
    watch(pp, problems);
    await pp.goto(`${inst.httpUrl}/#/gateways`);
    await pp.getByTestId('gateway-row-clinic-gw').waitFor({ timeout: 15_000 });
    const [scroll, client] = (await pp.evaluate(
      '[document.documentElement.scrollWidth, document.documentElement.clientWidth]',
    )) as [number, number];
    assert.ok(scroll <= client + 1, `${scroll} px wide in a ${client} px viewport`);
    await pp.screenshot({ path: join(shots, 'phone-gateways.png'), fullPage: true });
    await phone.close();
    assert.deepEqual(problems, []);
  } finally {
    await browser?.close();
    for (const f of cleanup.reverse()) await f().catch(() => {});
    await inst.destroy();
    rmSync(tmp, { recursive: true, force: true });
    removeShots();
  }
});
