/**
 * The dashboard in Debian's headless Chromium (playwright-core) against a real in-process Vigil
 * (broker, pipeline, encrypted store, HTTPS API, live feed, web/dist): an operator signs in with
 * password and TOTP (computed here with src/auth/totp.ts) and sees a reading published by a
 * simulated device over MQTT appear on the device page without a reload; a quality user
 * acknowledges an alarm with a reason and the API shows it acknowledged; a viewer sees no control
 * buttons and is refused (403) when it calls the control API with its own session cookie.
 * Screenshots of the overview, map, device, system and alarms pages are taken from this run:
 * into VIGIL_SCREENSHOTS_DIR when set (`npm run screenshots` uses docs/screenshots), else into a
 * temp directory that is removed. Any console error or CSP violation on a page fails the test.
 *
 * Needs `npm run build:web` (npm test runs it first) and /usr/bin/chromium (skipped without it).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SESSION_COOKIE } from '../src/auth/sessions.ts';
import { totpStep } from '../src/auth/totp.ts';
import { apiRequest } from './helpers/api-client.ts';
import {
  awayFromStepEdge,
  CHROMIUM,
  type EnrolledUser,
  enrolledUser,
  launchChromium,
  signInPage,
  totp,
} from './helpers/browser.ts';
import { screenshotsDir, watchConsole } from './helpers/chromium.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  makeEnvelope,
  send,
  startInstance,
  truckSample,
  waitFor,
} from './helpers/instance.ts';
import { modelSample, type SeededDevice, seedFleet } from './helpers/seed-fleet.ts';

const ROOT = resolve(fileURLToPath(new URL('../', import.meta.url)));
const WEB_INDEX = join(ROOT, 'web/dist/index.html');
const MINUTE = 60_000;

/** Console errors, page errors and CSP reports of every page, by page label. */
const problems: string[] = [];

function watch(page: Page, label: string): void {
  watchConsole(page, label, problems);
}

function newContext(browser: Browser, phone = false): Promise<BrowserContext> {
  return browser.newContext({
    viewport: phone ? { width: 390, height: 844 } : { width: 1280, height: 800 },
    deviceScaleFactor: phone ? 2 : 1,
    isMobile: phone,
    hasTouch: phone,
    // The instance's server certificate is issued by its own throw-away CA.
    ignoreHTTPSErrors: true,
    locale: 'en-GB',
    timezoneId: 'Europe/Amsterdam',
  });
}

/** Signs in through the page (password + TOTP) and waits for the fleet; returns the TOTP step used. */
async function signIn(page: Page, inst: Instance, user: EnrolledUser): Promise<number> {
  const step = await signInPage(page, inst.httpUrl, user);
  await page.getByTestId('device-row-truck-001').waitFor({ timeout: 15_000 });
  return step;
}

/** A TOTP code of a step after `usedStep` that the server accepts now (one step of tolerance). */
async function freshCode(user: EnrolledUser, usedStep: number): Promise<string> {
  await awayFromStepEdge();
  return totpStep(Date.now()) > usedStep ? totp(user.secret) : totp(user.secret, 1);
}

/** The session cookie the browser holds for the instance (HttpOnly: not readable by the page). */
async function sessionCookie(ctx: BrowserContext, inst: Instance): Promise<string> {
  const c = (await ctx.cookies(inst.httpUrl)).find((x) => x.name === SESSION_COOKIE);
  assert.ok(c, `the browser holds ${SESSION_COOKIE}`);
  assert.equal(c.httpOnly, true);
  assert.equal(c.secure, true);
  assert.equal(c.sameSite, 'Strict');
  return `${c.name}=${c.value}`;
}

test('dashboard in headless Chromium against a real Vigil', { timeout: 240_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip('skipped: chromium not installed');
    return;
  }
  assert.ok(existsSync(WEB_INDEX), 'web/dist is missing: run `npm run build:web` (npm test does)');

  const { dir: shotsDir, kept: keepShots, remove: removeShots } = screenshotsDir();

  // The live sampler pushes system status and device changes every second instead of 5 s.
  const inst = await startInstance({}, undefined, { live: { sampleMs: 1000 } });
  const clients: MqttClient[] = [];
  let browser: Browser | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    const now = Date.now();
    const fleet = await seedFleet(inst, now);
    const dev = (id: string): SeededDevice => {
      const d = fleet.find((x) => x.id === id);
      assert.ok(d, id);
      return d;
    };
    const truck1 = dev('truck-001');
    const truck3 = dev('truck-003');

    // Alarms as the rules would have opened them (the alarm store is the rules' port). Subjects
    // that send nothing live here, so the running rules engine has no reason to touch them.
    const fridgeHeat = await inst.server.alarms.open(
      {
        rule: 'heat',
        subject: 'probe-001',
        startedAt: now - 50 * MINUTE,
        raisedAt: now - 36 * MINUTE,
        severity: 'critical',
        message: 'Above 8 °C for 14 min (peak 9.6 °C) after the door was left ajar',
        peak: 9.6,
        unit: '°C',
      },
      now - 36 * MINUTE,
    );
    const power = await inst.server.alarms.open(
      {
        rule: 'no-power',
        subject: 'truck-002',
        startedAt: now - 35 * MINUTE,
        raisedAt: now - 20 * MINUTE,
        severity: 'warning',
        message: 'On battery for more than 15 min: vehicle supply lost',
      },
      now - 20 * MINUTE,
    );
    await inst.server.alarms.open(
      {
        rule: 'data-gap',
        subject: 'vitals-001',
        startedAt: now - 25 * MINUTE,
        raisedAt: now - 15 * MINUTE,
        severity: 'warning',
        message: 'No data for 10 min',
      },
      now - 15 * MINUTE,
    );
    // A warning that late data disproved: kept on record, resolved, marked with the reason.
    const disproved = await inst.server.alarms.open(
      {
        rule: 'warning:above',
        subject: 'probe-001',
        startedAt: now - 4 * 60 * MINUTE,
        raisedAt: now - 3 * 60 * MINUTE,
        severity: 'warning',
        message:
          'Temperature above 8.0 °C for 1 h 00 min so far, including 45 min without data (alarm after 15 min), peak 8.6 °C',
        peak: 8.6,
        unit: 'C',
      },
      now - 3 * 60 * MINUTE,
    );
    await inst.server.alarms.disprove(
      disproved.alarm.id,
      {
        at: now - 2 * 60 * MINUTE,
        reason:
          'Readings that arrived later show: Temperature above 8.0 °C for 12 min (alarm after 15 min), peak 8.6 °C',
      },
      now - 3 * 60 * MINUTE + 15 * MINUTE,
      now - 2 * 60 * MINUTE,
    );
    // Truck 1's reefer failure in the seeded history: raised and, once back in range, resolved.
    const h1 = truck1.heat;
    if (h1) {
      const { alarm } = await inst.server.alarms.open(
        {
          rule: 'heat',
          subject: 'truck-001',
          startedAt: h1.from,
          raisedAt: Math.min(h1.to, h1.from + 10 * MINUTE),
          severity: 'critical',
          message: `Above 8 °C (peak ${h1.peak.toFixed(1)} °C)`,
          peak: h1.peak,
          unit: '°C',
        },
        h1.from + 10 * MINUTE,
      );
      await inst.server.alarms.resolve(alarm.id, h1.to + MINUTE, h1.to + MINUTE);
    }

    const operator = await enrolledUser(inst, 'olivia.ops', 'operator');
    const quality = await enrolledUser(inst, 'quentin.qa', 'quality');
    const viewer = await enrolledUser(inst, 'vera.view', 'viewer');

    const c1 = await connectDevice(inst.url, truck1.bundle);
    const c3 = await connectDevice(inst.url, truck3.bundle);
    clients.push(c1, c3);
    const publishModel = async (d: SeededDevice, c: MqttClient, samples: Record<string, unknown>[]) => {
      await send(c, d.id, makeEnvelope(d.bundle, 'telemetry', { samples }, { seq: d.nextSeq++ }));
    };

    browser = await launchChromium();
    const b = browser;

    const desk = await newContext(b);
    const page = await desk.newPage();
    watch(page, 'operator');

    await t.test(
      'an operator signs in with password and TOTP and sees a published reading live',
      async () => {
        await signIn(page, inst, operator);
        await page.getByTestId('live-status').getByText('Live').waitFor({ timeout: 10_000 });
        await page.goto(`${inst.httpUrl}/#/device/truck-001`);
        const tile = page.getByTestId('latest-temp');
        await tile.waitFor();
        // The operator may control devices: the button is there (so its absence below means something).
        await page.getByTestId('control-disable').waitFor();
        const before = await tile.innerText();
        const value = before.includes('6.8') ? 6.9 : 6.8;
        // A marker on the window: it survives only if the page is not reloaded.
        await page.evaluate(() => {
          (globalThis as unknown as { __vigilMarker: number }).__vigilMarker = 42;
        });
        await send(
          c1,
          'truck-001',
          makeEnvelope(
            truck1.bundle,
            'telemetry',
            { samples: [truckSample(Date.now(), value)] },
            {
              seq: truck1.nextSeq++,
            },
          ),
        );
        await tile.filter({ hasText: `${value.toFixed(1)} °C` }).waitFor({ timeout: 10_000 });
        const marker = await page.evaluate(
          () => (globalThis as unknown as { __vigilMarker?: number }).__vigilMarker,
        );
        assert.equal(marker, 42, 'the reading arrived without a reload');
      },
    );

    // From here on the two trucks keep reporting, as a live fleet does (bounded: stopped in finally).
    // Truck 3 first delivers what it buffered while its link was down (backfill), then live.
    const buffered: Record<string, unknown>[] = [];
    for (let ts = now - 40 * MINUTE; ts < Date.now() - 5000; ts += MINUTE)
      buffered.push(modelSample(truck3, ts));
    for (let i = 0; i < buffered.length; i += 20) await publishModel(truck3, c3, buffered.slice(i, i + 20));
    let ticks = 0;
    ticker = setInterval(() => {
      if (++ticks > 300) return clearInterval(ticker);
      const ts = Date.now();
      void publishModel(truck1, c1, [modelSample(truck1, ts)]).catch(() => {});
      void publishModel(truck3, c3, [modelSample(truck3, ts)]).catch(() => {});
    }, 2000);

    await t.test(
      'quality acknowledges an alarm with a reason and the API shows it acknowledged',
      async () => {
        const ctx = await newContext(b);
        const p = await ctx.newPage();
        watch(p, 'quality');
        const signedInAt = await signIn(p, inst, quality);
        await p.goto(`${inst.httpUrl}/#/alarms`);
        const row = p.getByTestId(`alarm-row-${fridgeHeat.alarm.id}`);
        await row.waitFor();
        await row.getByTestId('ack-button').click();
        const reason = 'Door closed, load inspected: vials within range, stability data allows 1 h at 9 °C.';
        await p.getByTestId('ack-reason').fill(reason);
        await p.getByTestId('ack-meaning').selectOption('impact assessed');
        await p.getByTestId('ack-password').fill(quality.password);
        // The acknowledgement is signed with password and a fresh TOTP code (each code signs once).
        await p.getByTestId('ack-totp').fill(await freshCode(quality, signedInAt));
        await p.getByTestId('ack-submit').click();
        await p.getByTestId('ack-dialog').waitFor({ state: 'detached' });
        await row.getByText('Acknowledged').first().waitFor();
        assert.equal(await row.getByTestId('ack-button').count(), 0);

        const r = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
          path: `/api/v1/alarms/${encodeURIComponent(fridgeHeat.alarm.id)}`,
          headers: { cookie: await sessionCookie(ctx, inst) },
        });
        assert.equal(r.status, 200, r.text);
        const { alarm } = r.json as {
          alarm: { state: string; ack: { by: string; reason: string; meaning: string } | null };
        };
        assert.equal(alarm.state, 'acknowledged');
        assert.deepEqual(
          alarm.ack && { by: alarm.ack.by, reason: alarm.ack.reason, meaning: alarm.ack.meaning },
          {
            by: `user:${quality.name}`,
            reason,
            meaning: 'impact assessed',
          },
        );
        // The active list (open or acknowledged) still holds it; the open (unacknowledged) one not.
        const active = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
          path: '/api/v1/alarms?state=active',
          headers: { cookie: await sessionCookie(ctx, inst) },
        });
        const ids = (active.json as { alarms: { id: string }[] }).alarms.map((a) => a.id);
        assert.ok(ids.includes(fridgeHeat.alarm.id) && ids.includes(power.alarm.id));
        await ctx.close();
      },
    );

    await t.test('a viewer sees no control buttons and the API refuses its control request', async () => {
      const ctx = await newContext(b);
      const p = await ctx.newPage();
      watch(p, 'viewer');
      await signIn(p, inst, viewer);
      await p.goto(`${inst.httpUrl}/#/device/truck-001`);
      await p.getByTestId('latest-temp').waitFor();
      await p.getByTestId('device-id').waitFor();
      assert.equal(await p.getByTestId('control-disable').count(), 0);
      assert.equal(await p.getByTestId('control-enable').count(), 0);
      await p.goto(`${inst.httpUrl}/#/alarms`);
      await p.getByTestId(`alarm-row-${power.alarm.id}`).waitFor();
      assert.equal(await p.getByTestId('ack-button').count(), 0);

      const cookie = await sessionCookie(ctx, inst);
      const refused = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
        path: '/api/v1/devices/truck-001/disable',
        method: 'POST',
        headers: { cookie, origin: inst.httpUrl },
      });
      assert.equal(refused.status, 403, refused.text);
      assert.equal((refused.json as { error: { code: string } }).error.code, 'VIGIL_ERR_FORBIDDEN');
      const ack = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
        path: `/api/v1/alarms/${encodeURIComponent(power.alarm.id)}/ack`,
        method: 'POST',
        headers: { cookie, origin: inst.httpUrl, 'content-type': 'application/json' },
        body: JSON.stringify({
          reason: 'not mine to acknowledge',
          meaning: 'reviewed',
          password: viewer.password,
          totp: totp(viewer.secret, 1),
        }),
      });
      assert.equal(ack.status, 403, ack.text);
      assert.equal((await inst.ctx.store.getDevice('truck-001'))?.status, 'enabled');
      // The same cookie does read: the refusal is the role, not a broken session.
      const me = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
        path: '/api/v1/auth/me',
        headers: { cookie },
      });
      assert.equal((me.json as { role: string }).role, 'viewer');
      await ctx.close();
    });

    await t.test('the pages render without console errors (screenshots)', async () => {
      const shot = async (p: Page, name: string, fullPage = false) => {
        await p.waitForTimeout(1200); // let live updates land and the row flash fade
        await p.screenshot({ path: join(shotsDir, name), fullPage });
      };
      await page.goto(`${inst.httpUrl}/#/overview`);
      await page.getByTestId('device-row-truck-001').waitFor();
      await shot(page, 'overview.png');

      await page.goto(`${inst.httpUrl}/#/map`);
      await page.locator('.map-land[d^="M"]').waitFor({ state: 'attached', timeout: 15_000 });
      await page.getByTestId('map-marker-truck-001').waitFor({ timeout: 10_000 });
      await page.getByTestId('map-marker-truck-002').waitFor({ timeout: 10_000 });
      await shot(page, 'map.png');

      await page.goto(`${inst.httpUrl}/#/device/truck-001`);
      await page.locator('[data-testid="chart-temp_c"] canvas').waitFor();
      await page.getByTestId('range-note').getByText('points').waitFor({ timeout: 10_000 });
      await shot(page, 'device.png');

      await page.goto(`${inst.httpUrl}/#/alarms`);
      await page.getByTestId('alarm-table').waitFor();
      await shot(page, 'alarms.png');
      // All alarms: a disproved one is shown as such, with the reason
      await page.getByTestId('alarms-all').click();
      const disprovedRow = page.getByTestId(`alarm-row-${disproved.alarm.id}`);
      await disprovedRow.getByTestId('alarm-disproved').waitFor();
      assert.match(await disprovedRow.innerText(), /Disproved[\s\S]*Readings that arrived later show/);
      await shot(page, 'alarms-all.png');

      await page.goto(`${inst.httpUrl}/#/system`);
      await page.getByTestId('system-continuity').waitFor();
      await waitFor('continuity from the server', async () => {
        const text = await page.getByTestId('continuity-backfilled').innerText();
        return /\b1\b/.test(text);
      });
      // Two polls for the throughput chart; for the docs, enough of them to draw a curve.
      await page.waitForTimeout(keepShots ? 25_000 : 5200);
      await shot(page, 'system.png', true);

      const phone = await newContext(b, true);
      await phone.addCookies(await desk.cookies(inst.httpUrl));
      const pp = await phone.newPage();
      watch(pp, 'phone');
      await pp.goto(`${inst.httpUrl}/#/overview`);
      await pp.getByTestId('device-row-truck-001').waitFor({ timeout: 15_000 });
      await shot(pp, 'phone-overview.png');
      await phone.close();

      for (const f of [
        'overview.png',
        'map.png',
        'device.png',
        'alarms.png',
        'alarms-all.png',
        'system.png',
        'phone-overview.png',
      ])
        assert.ok(existsSync(join(shotsDir, f)), f);
      assert.deepEqual(problems, []);
    });
  } finally {
    clearInterval(ticker);
    await browser?.close().catch(() => {});
    for (const c of clients) await closeClient(c).catch(() => {});
    await inst.destroy();
    removeShots();
  }
});
