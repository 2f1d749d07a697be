/**
 * Every page of the dashboard in headless Chromium against a real Vigil with a seeded fleet, on a
 * phone (390 x 844) and on a desktop: no page scrolls sideways on the phone, no console error or
 * CSP violation anywhere; and what an admin does from the pages: disable, enable, revoke and
 * delete devices from the devices list; the system page's tiles agree (rejections, never
 * connected versus buffering, listener addresses, a disabled device's refusals named as such).
 * Screenshots go to VIGIL_SCREENSHOTS_DIR when set (`npm run screenshots`), else to a temp
 * directory that is removed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { setDeviceEnabled } from '../src/devices/device-service.ts';
import { writeLoggerDisplay } from '../src/sim/logger-display.ts';
import { CHROMIUM, type EnrolledUser, enrolledUser, launchChromium, signInPage } from './helpers/browser.ts';
import { screenshotsDir, watchConsole } from './helpers/chromium.ts';
import { connectDevice, type Instance, startInstance, waitFor } from './helpers/instance.ts';
import { seedFleet } from './helpers/seed-fleet.ts';

const MINUTE = 60_000;
const problems: string[] = [];

function watch(page: Page, label: string): void {
  // The confirmed refusal of a device delete on a device in use is an answer, not a fault.
  watchConsole(page, label, problems, (text) => /status of 409/.test(text));
}

function context(browser: Browser, phone: boolean): Promise<BrowserContext> {
  return browser.newContext({
    viewport: phone ? { width: 390, height: 844 } : { width: 1280, height: 800 },
    deviceScaleFactor: phone ? 2 : 1,
    isMobile: phone,
    hasTouch: phone,
    ignoreHTTPSErrors: true,
    locale: 'en-GB',
    timezoneId: 'Europe/Amsterdam',
  });
}

/** Confirms the open confirmation dialog of `testid`. */
async function confirm(page: Page, testid: string): Promise<void> {
  await page.getByTestId(`${testid}-confirm`).click();
}

test('every page on a phone and the admin device actions', { timeout: 300_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) return t.skip('skipped: chromium not installed');
  const { dir: shotsDir, remove: removeShots } = screenshotsDir('vigil-pages-');
  const inst: Instance = await startInstance({}, undefined, { live: { sampleMs: 1000 } });
  let browser: Browser | undefined;
  try {
    const fleet = await seedFleet(inst, Date.now());
    // Provisioned, never connected: not "buffering", and the only kind a delete is offered for.
    await inst.addDevice('probe-new-1', 'temperature-probe');
    await inst.addDevice('probe-new-2', 'temperature-probe');
    // A disabled device that keeps trying: its refusals are named device_disabled.
    const probe = fleet.find((d) => d.id === 'probe-001');
    assert.ok(probe);
    await setDeviceEnabled(inst.ctx, 'probe-001', false, 'user:test');
    await assert.rejects(connectDevice(inst.url, probe.bundle));
    // Reported every minute until 5 min ago: offline by its own cadence (2.5 min), though well
    // inside the fixed 10 min window, and its values are stale.
    await inst.addDevice('probe-stale', 'temperature-probe');
    const t0 = Date.now() - 5 * MINUTE;
    const readings = Array.from({ length: 30 }, (_, i) => {
      const ts = t0 - (29 - i) * MINUTE;
      return {
        deviceId: 'probe-stale',
        seq: i + 1,
        idx: 0,
        ts,
        receivedAt: ts + 200,
        backfill: false,
        data: { temp_c: 5.1 },
      };
    });
    await inst.ctx.store.writeBatch({
      readings,
      messages: [],
      replayStates: [],
      lastSeen: [{ deviceId: 'probe-stale', at: t0 + 200 }],
    });
    // Silent for three days: its history opens on its data, not on an empty last 24 h.
    await inst.addDevice('probe-old', 'temperature-probe');
    const old = Date.now() - 3 * 24 * 60 * MINUTE;
    await inst.ctx.store.writeBatch({
      readings: Array.from({ length: 20 }, (_, i) => ({
        deviceId: 'probe-old',
        seq: i + 1,
        idx: 0,
        ts: old - (19 - i) * MINUTE,
        receivedAt: old - (19 - i) * MINUTE + 200,
        backfill: false,
        data: { temp_c: 4.2 },
      })),
      messages: [],
      replayStates: [],
      lastSeen: [{ deviceId: 'probe-old', at: old + 200 }],
    });
    await inst.server.shipments.create(
      {
        deviceId: 'truck-002',
        profile: 'refrigerated',
        origin: { name: 'Utrecht hub' },
        destination: { name: 'Ghent' },
      },
      'user:dispatcher',
    );
    const admin: EnrolledUser = await enrolledUser(inst, 'ada', 'admin');

    browser = await launchChromium();
    const desk = await context(browser, false);
    const page = await desk.newPage();
    watch(page, 'desktop');
    await signInPage(page, inst.httpUrl, admin);

    await t.test('online follows the learned interval; stale values are greyed with their age', async () => {
      const r = await admin.browser.call('/api/v1/devices');
      const rows = (
        r.json as { devices: { id: string; online: boolean; expectedIntervalMs: number | null }[] }
      ).devices;
      const stale = rows.find((d) => d.id === 'probe-stale');
      assert.deepEqual([stale?.expectedIntervalMs, stale?.online], [MINUTE, false]);
      await page.goto(`${inst.httpUrl}/#/overview`);
      const cell = page.getByTestId('stale-probe-stale');
      await cell.waitFor();
      assert.match(await cell.innerText(), /5 min old/);
      assert.equal(
        await page.getByTestId('stale-truck-001').count(),
        0,
        'a device reporting now is not stale',
      );
      await page.screenshot({ path: join(shotsDir, 'overview-stale.png'), fullPage: true });
    });

    await t.test('an admin disables, enables, revokes and deletes devices from the list', async () => {
      await page.goto(`${inst.httpUrl}/#/admin/devices`);
      await page.getByTestId('admin-device-table').waitFor();
      // Delete is offered only for devices that never delivered anything.
      assert.equal(await page.getByTestId('admin-device-delete-probe-new-1').count(), 1);
      assert.equal(await page.getByTestId('admin-device-delete-truck-001').count(), 0);

      await page.getByTestId('admin-device-disable-truck-003').click();
      await confirm(page, 'admin-device-disable-dialog');
      await waitFor(
        'disabled',
        async () => (await inst.ctx.store.getDevice('truck-003'))?.status === 'disabled',
      );
      await page.getByTestId('admin-device-status-truck-003').getByText('Disabled').waitFor();
      await page.getByTestId('admin-device-enable-truck-003').click();
      await confirm(page, 'admin-device-enable-dialog');
      await page.getByTestId('admin-device-status-truck-003').getByText('Enabled').waitFor();

      await page.getByTestId('admin-device-delete-probe-new-1').click();
      await confirm(page, 'admin-device-delete-dialog');
      await page.getByTestId('admin-device-probe-new-1').waitFor({ state: 'detached' });
      assert.equal(await inst.ctx.store.getDevice('probe-new-1'), null);

      await page.getByTestId('admin-device-revoke-vitals-001').click();
      await confirm(page, 'admin-device-revoke-dialog');
      await page.getByTestId('admin-device-status-vitals-001').getByText('Revoked').waitFor();
      assert.equal((await inst.ctx.store.getDevice('vitals-001'))?.status, 'revoked');
      const audit = await inst.ctx.store.queryAudit({ limit: 1000 });
      for (const [action, object] of [
        ['device.disable', 'truck-003'],
        ['device.enable', 'truck-003'],
        ['device.delete', 'probe-new-1'],
        ['device.revoke', 'vitals-001'],
      ])
        assert.ok(
          audit.some((a) => a.action === action && a.object === object && a.actor === 'user:ada'),
          `${action} ${object} audited`,
        );
      await page.screenshot({ path: join(shotsDir, 'admin-devices.png'), fullPage: true });

      await page.goto(`${inst.httpUrl}/#/admin/tokens`);
      const help = page.getByTestId('token-help-header');
      assert.equal(await help.textContent(), 'Authorization: Bearer vgl_…');
      assert.doesNotMatch(await page.locator('main').innerText(), /`/, 'no literal backticks');
    });

    await t.test('the audit log: chain status, filter by action, CSV export', async () => {
      await page.goto(`${inst.httpUrl}/#/audit`);
      await page.getByTestId('audit-chain-status').getByText('Chain intact').waitFor();
      await page.getByTestId('audit-action').fill('device.revoke');
      await page.getByTestId('audit-filters').getByRole('button', { name: 'Apply' }).click();
      await page.getByTestId('audit-table').getByText('vitals-001').waitFor();
      assert.equal(await page.getByTestId('audit-table').locator('tbody tr').count(), 1);
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('audit-export-csv').click(),
      ]);
      const csv = readFileSync(await file.path(), 'utf8');
      assert.match(csv, /^id,ts,actor,action,object,detail,prevHash,hash\r\n/);
      assert.match(csv, /,user:ada,device\.revoke,vitals-001,/);
      await page.screenshot({ path: join(shotsDir, 'audit.png'), fullPage: true });
    });

    await t.test(
      'the system page: tiles agree, never connected is not buffering, addresses and reasons',
      async () => {
        await page.goto(`${inst.httpUrl}/#/system`);
        await page.getByTestId('system-continuity').waitFor();
        await waitFor('the disabled refusal counted', async () =>
          (await page.getByTestId('system-rejections').innerText()).includes('device_disabled'),
        );
        const total = (await page.getByTestId('rejections-total').textContent())?.trim();
        const tile = await page.getByTestId('summary-rejected').innerText();
        assert.ok(total && tile.includes(total), `summary tile "${tile}" shows the table's total ${total}`);
        assert.doesNotMatch(await page.getByTestId('system-rejections').innerText(), /unknown_identity/);
        assert.equal(await page.getByTestId('continuity-link-probe-new-2').textContent(), 'Never connected');
        assert.match(await page.getByTestId('summary-offline').innerText(), /1 never connected/);
        const address = (await page.getByTestId('listener-address').textContent()) ?? '';
        assert.match(address, /^mqtts:\/\/(\[[0-9a-f:]+\]|[0-9.]+):\d+$/);
        await page.screenshot({ path: join(shotsDir, 'system-tiles.png'), fullPage: true });
      },
    );

    await t.test('device history: time zone named, drag to zoom, reset, CSV of the range shown', async () => {
      await page.goto(`${inst.httpUrl}/#/device/truck-001`);
      assert.match((await page.getByTestId('range-zone').textContent()) ?? '', /^Times in /);
      assert.equal(await page.getByTestId('zone-select').inputValue(), 'Europe/Amsterdam');
      const over = page.getByTestId('chart-temp_c').locator('.u-over');
      await waitFor('points drawn', async () =>
        /\d+ points/.test((await page.getByTestId('range-note').textContent()) ?? ''),
      );
      const box = await over.boundingBox();
      assert.ok(box);
      await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2, { steps: 5 });
      await page.mouse.up();
      await page.getByTestId('range-reset').waitFor({ state: 'visible' });
      await waitFor('the zoomed range loaded', async () =>
        / – .*: \d+ points/.test((await page.getByTestId('range-note').textContent()) ?? ''),
      );
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('range-csv').click(),
      ]);
      const csv = readFileSync(await file.path(), 'utf8');
      const [header, ...rows] = csv.trim().split('\r\n');
      assert.match(header ?? '', /^ts,backfill,.*temp_c/);
      assert.ok(rows.length > 0, 'the zoomed range has readings');
      const times = rows.map((r) => Date.parse(r.split(',')[0] ?? ''));
      // About 30 % of the last 24 h (the drag), not the whole day.
      assert.ok(
        Math.max(...times) - Math.min(...times) < 12 * 60 * MINUTE,
        'only the zoomed range is exported',
      );
      await page.screenshot({ path: join(shotsDir, 'device-zoomed.png'), fullPage: true });
      await page.getByTestId('range-reset').click();
      await page.getByTestId('range-reset').waitFor({ state: 'hidden' });
      await page.goto(`${inst.httpUrl}/#/device/probe-old`);
      await waitFor('the range fitted to the data', async () =>
        / – .*: 20 points/.test((await page.getByTestId('range-note').textContent()) ?? ''),
      );
      await page.goto(`${inst.httpUrl}/#/device/truck-001`);
      await page.getByTestId('range-to').waitFor();
      // The range inputs are filled once the readings are in.
      await waitFor('the range shown', async () => (await page.getByTestId('range-to').inputValue()) !== '');
      // Another time zone for this user: every time is shown in it (Amsterdam is UTC+1 in winter).
      const before = await page.getByTestId('range-to').inputValue();
      await page.getByTestId('zone-select').selectOption('UTC');
      // The inputs are emptied and refilled while the page re-renders: wait for a filled value.
      await waitFor('times in UTC', async () => {
        const value = await page.getByTestId('range-to').inputValue();
        return value !== '' && value !== before;
      });
      const after = await page.getByTestId('range-to').inputValue();
      const shift = (Date.parse(`${before}Z`) - Date.parse(`${after}Z`)) / MINUTE;
      assert.ok(shift >= 59 && shift <= 61, `shown ${shift} min earlier in UTC`);
      await page.reload();
      assert.equal(await page.getByTestId('zone-select').inputValue(), 'UTC', 'kept for the user');
      await page.getByTestId('zone-select').selectOption('Europe/Amsterdam');
    });

    await t.test('a simulated truck shows operators its logger display, marked as simulation', async () => {
      // What the simulator writes for its trucks (src/sim/logger-display.ts).
      const dir = join(inst.ctx.paths.simDir, 'truck-002');
      mkdirSync(dir, { recursive: true });
      writeLoggerDisplay(dir, {
        batch: 'B-20261206-7Q',
        token: 'K7H2-M9XQ-4TZP',
        dispatchedAt: Date.now() - 30 * MINUTE,
        shipment: 'Utrecht hub → Ghent',
        routeId: null,
      });
      await page.goto(`${inst.httpUrl}/#/device/truck-002`);
      assert.equal(await page.getByTestId('logger-token').textContent(), 'K7H2-M9XQ-4TZP');
      assert.equal(await page.getByTestId('sim-badge').textContent(), 'Simulation');
      await page.goto(`${inst.httpUrl}/#/device/truck-003`);
      await page.getByTestId('current-values').waitFor();
      assert.equal(await page.getByTestId('logger-display-card').count(), 0, 'a real logger has none');
      await page.goto(`${inst.httpUrl}/#/device/truck-002`);
      await page.getByTestId('logger-token').waitFor();
      await page.screenshot({ path: join(shotsDir, 'logger-display.png'), fullPage: true });
    });

    await t.test('a shipment is created from the form and the logger links to it', async () => {
      await page.goto(`${inst.httpUrl}/#/shipments`);
      await page.getByTestId('new-shipment').click();
      await page.getByTestId('new-shipment-submit').click();
      await page.getByTestId('new-shipment-error').getByText('Choose the logger').waitFor();
      await page.getByTestId('new-shipment-device').selectOption('truck-001');
      await page.getByTestId('new-shipment-profile').selectOption('frozen');
      await page.getByTestId('new-shipment-origin').fill('Rotterdam depot');
      await page.getByTestId('new-shipment-origin-coords').fill('51.92, 4.48');
      await page.getByTestId('new-shipment-destination').fill('Liège clinic');
      await page.getByTestId('new-batch-lot').fill('MMR-24-0917');
      await page.getByTestId('new-batch-product').fill('MMR vaccine');
      await page.getByTestId('new-batch-qty').fill('1200');
      await page.screenshot({ path: join(shotsDir, 'shipment-new.png') });
      await page.getByTestId('new-shipment-submit').click();
      await page.getByTestId('shipment-summary').waitFor();
      const [s] = await inst.server.shipments.list({ deviceId: 'truck-001', limit: 1 });
      assert.ok(s);
      assert.deepEqual(
        [s.state, s.profile, s.origin, s.createdBy],
        ['planned', 'frozen', { name: 'Rotterdam depot', lat: 51.92, lon: 4.48 }, 'user:ada'],
      );
      assert.deepEqual(s.batches, [{ lot: 'MMR-24-0917', product: 'MMR vaccine', quantity: 1200 }]);
      await page.goto(`${inst.httpUrl}/#/device/truck-001`);
      assert.equal(await page.getByTestId('device-shipment').textContent(), s.id);
    });

    await t.test('no page scrolls sideways on a 390 px phone', async () => {
      const phone = await context(browser as Browser, true);
      await phone.addCookies(await desk.cookies(inst.httpUrl));
      const pp = await phone.newPage();
      watch(pp, 'phone');
      const shipmentId = (await inst.server.shipments.list({ limit: 1 }))[0]?.id ?? '';
      const pages: [string, string, string][] = [
        ['overview', '#/overview', 'device-row-truck-001'],
        ['map', '#/map', 'fleet-map'],
        ['device', '#/device/truck-001', 'current-values'],
        ['shipments', '#/shipments', 'shipment-table'],
        ['shipment', `#/shipment/${shipmentId}`, 'shipment-summary'],
        ['delivery', '#/delivery', 'deliver-shipment'],
        ['alarms', '#/alarms', 'alarms-open'],
        ['system', '#/system', 'system-continuity'],
        ['audit', '#/audit', 'audit-chain-status'],
        ['audit', '#/audit', 'audit-chain-status'],
        ['admin-users', '#/admin/users', 'user-add'],
        ['admin-tokens', '#/admin/tokens', 'token-add'],
        ['admin-devices', '#/admin/devices', 'admin-device-table'],
        ['admin-notifications', '#/admin/notifications', 'admin-tab-notifications'],
      ];
      const wide: string[] = [];
      for (const [name, hash, ready] of pages) {
        await pp.goto(`${inst.httpUrl}/${hash}`);
        await pp.getByTestId(ready).first().waitFor({ timeout: 15_000 });
        await pp.waitForTimeout(300); // let charts and maps size themselves
        const [scroll, client] = (await pp.evaluate(
          '[document.documentElement.scrollWidth, document.documentElement.clientWidth]',
        )) as [number, number];
        if (scroll > client + 1) wide.push(`${name}: ${scroll} px wide in a ${client} px viewport`);
        await pp.screenshot({ path: join(shotsDir, `phone-${name}.png`), fullPage: true });
      }
      assert.deepEqual(wide, []);
      await phone.close();
    });

    await t.test('no console errors or CSP violations', () => {
      assert.deepEqual(problems, []);
    });
  } finally {
    await browser?.close().catch(() => {});
    await inst.destroy();
    removeShots();
  }
});
