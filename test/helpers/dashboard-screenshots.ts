/**
 * Screenshots of the dashboard against the mock API (test/helpers/mock-api.ts), with Debian's
 * headless Chromium through playwright-core: overview, map, device page and system page at
 * 1280x800, and the overview at phone size (390x844), into docs/screenshots/. Fails when the page
 * logs an error or a CSP violation, so the screenshots double as a check of the CSP.
 *
 *   npm run build:web && node test/helpers/dashboard-screenshots.ts [--out docs/screenshots] [--extra DIR]
 *
 * `--extra DIR` also saves the other pages (sign-in, enrolment, alarms, admin, vitals, phone
 * device page) for review.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { MOCK_PASSWORD, startMockApi } from './mock-api.ts';

const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(ROOT, 'docs/screenshots') },
    extra: { type: 'string' },
  },
});
const out = resolve(values.out);
const extra = values.extra ? resolve(values.extra) : null;
mkdirSync(out, { recursive: true });
if (extra) mkdirSync(extra, { recursive: true });

const problems: string[] = [];

function watch(page: Page, label: string): void {
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text()))
      problems.push(`${label}: console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${label}: page error: ${e.message}`));
}

async function newContext(browser: Browser, phone: boolean): Promise<BrowserContext> {
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

async function signIn(page: Page, url: string, user = 'admin'): Promise<void> {
  await page.goto(url);
  await page.getByTestId('login-username').fill(user);
  await page.getByTestId('login-password').fill(MOCK_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('totp-code').fill('123456');
  await page.getByTestId('totp-submit').click();
  await page.getByTestId('device-row-sim-truck-001').waitFor({ timeout: 15_000 });
}

async function shot(page: Page, dir: string, name: string): Promise<void> {
  // Let live updates land and the row flash fade.
  await page.waitForTimeout(1600);
  await page.screenshot({ path: join(dir, name), fullPage: false });
  console.log(`saved ${join(dir, name)}`);
}

const api = await startMockApi({ port: 0 });
const fresh = extra ? await startMockApi({ port: 0, freshAdmin: true, historyDays: 2 }) : null;
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
try {
  // ---- desktop
  const desk = await newContext(browser, false);
  const page = await desk.newPage();
  watch(page, 'desktop');
  if (extra) {
    await page.goto(api.url);
    await page.getByTestId('login-username').waitFor();
    await shot(page, extra, 'signin.png');
  }
  await signIn(page, api.url);
  await page.getByTestId('live-status').getByText('Live').waitFor({ timeout: 10_000 });
  await shot(page, out, 'overview.png');

  await page.goto(`${api.url}/#/map`);
  await page.locator('.map-land[d^="M"]').waitFor({ state: 'attached', timeout: 15_000 });
  await page.getByTestId('map-marker-sim-truck-001').waitFor({ timeout: 10_000 });
  await shot(page, out, 'map.png');

  await page.goto(`${api.url}/#/device/sim-truck-001`);
  await page.getByTestId('latest-temp').waitFor();
  await page.locator('[data-testid="chart-temp_c"] canvas').waitFor();
  await page.getByTestId('range-note').getByText('points').waitFor({ timeout: 10_000 });
  await shot(page, out, 'device.png');

  await page.goto(`${api.url}/#/system`);
  await page.getByTestId('system-ingest').waitFor();
  await page.waitForTimeout(5200); // two samples for the throughput chart
  await shot(page, out, 'system.png');

  // Phone, before the review pass below changes the mock's state (acks, new users, devices).
  {
    const phone = await newContext(browser, true);
    const ppage = await phone.newPage();
    watch(ppage, 'phone');
    await signIn(ppage, api.url);
    await shot(ppage, out, 'phone-overview.png');
    await phone.close();
  }

  if (extra) {
    await page.goto(`${api.url}/#/device/sim-vitals-002`);
    await page.locator('[data-testid="chart-hr_bpm"] canvas').waitFor();
    await page.getByTestId('range-note').getByText('points').waitFor({ timeout: 10_000 });
    await shot(page, extra, 'device-vitals.png');
    await page.goto(`${api.url}/#/device/sim-probe-002?range=7d`);
    await page.getByTestId('range-note').getByText('points').waitFor({ timeout: 10_000 });
    await shot(page, extra, 'device-probe-7d.png');
    await page.goto(`${api.url}/#/alarms`);
    await page.getByTestId('alarm-table').waitFor();
    await shot(page, extra, 'alarms.png');
    await page.getByTestId('ack-button').first().click();
    await page.getByTestId('ack-reason').fill('Load checked on arrival; vials within range.');
    await shot(page, extra, 'alarms-ack.png');
    await page.getByTestId('ack-submit').click();
    await page.getByTestId('ack-dialog').waitFor({ state: 'detached' });
    await page.goto(`${api.url}/#/admin/users`);
    await page.getByTestId('user-table').waitFor();
    await shot(page, extra, 'admin-users.png');
    await page.getByTestId('user-add').click();
    await page.getByTestId('user-name').fill('nurse.jansen');
    await page.getByTestId('user-submit').click();
    await page.getByTestId('user-otp').waitFor();
    await shot(page, extra, 'admin-user-added.png');
    await page.keyboard.press('Escape');
    await page.goto(`${api.url}/#/admin/tokens`);
    await page.getByTestId('token-table').waitFor();
    await shot(page, extra, 'admin-tokens.png');
    await page.goto(`${api.url}/#/admin/devices`);
    await page.getByTestId('device-add').click();
    await page.getByTestId('device-id-input').fill('truck-0042');
    await page.getByTestId('device-submit').click();
    await page.getByTestId('bundle-json').waitFor();
    await shot(page, extra, 'admin-device-added.png');
    await page.keyboard.press('Escape');

    // A viewer: no control buttons, no admin.
    const vctx = await newContext(browser, false);
    const vpage = await vctx.newPage();
    watch(vpage, 'viewer');
    await signIn(vpage, api.url, 'viewer');
    await vpage.goto(`${api.url}/#/device/sim-truck-002`);
    await vpage.getByTestId('latest-temp').waitFor();
    if ((await vpage.getByTestId('control-disable').count()) !== 0)
      problems.push('viewer sees control-disable');
    if ((await vpage.getByTestId('nav-admin').count()) !== 0) problems.push('viewer sees Admin');
    await shot(vpage, extra, 'viewer-device.png');
    await vctx.close();

    // First sign-in of the admin: password change, TOTP enrolment, recovery codes.
    if (fresh) {
      const fctx = await newContext(browser, false);
      const fpage = await fctx.newPage();
      watch(fpage, 'enrol');
      await fpage.goto(fresh.url);
      await fpage.getByTestId('login-username').fill('admin');
      await fpage.getByTestId('login-password').fill(MOCK_PASSWORD);
      await fpage.getByTestId('login-submit').click();
      await fpage.getByTestId('password-new').fill('correct horse battery staple');
      await fpage.getByTestId('password-repeat').fill('correct horse battery staple');
      await shot(fpage, extra, 'signin-password.png');
      await fpage.getByTestId('password-submit').click();
      await fpage.getByTestId('totp-qr').locator('svg').waitFor();
      await shot(fpage, extra, 'signin-enrol.png');
      await fpage.getByTestId('totp-code').fill('654321');
      await fpage.getByTestId('totp-submit').click();
      await fpage.getByTestId('recovery-codes').waitFor();
      await shot(fpage, extra, 'signin-recovery.png');
      await fpage.getByTestId('recovery-saved').check();
      await fpage.getByTestId('recovery-continue').click();
      await fpage.getByTestId('device-row-sim-truck-001').waitFor();
      // Lockout message: five wrong passwords for another user.
      await fpage.getByTestId('sign-out').click();
      for (let i = 0; i < 6; i++) {
        await fpage.getByTestId('login-username').fill('operator');
        await fpage.getByTestId('login-password').fill('wrong password');
        await fpage.getByTestId('login-submit').click();
        await fpage.waitForTimeout(250);
      }
      await fpage.getByTestId('login-locked').waitFor();
      await shot(fpage, extra, 'signin-locked.png');
      await fctx.close();
    }
  }
  await desk.close();

  // ---- phone, review pass
  const phone = await newContext(browser, true);
  const ppage = await phone.newPage();
  watch(ppage, 'phone');
  if (extra) {
    await signIn(ppage, api.url);
    await ppage.goto(`${api.url}/#/device/sim-truck-001`);
    await ppage.getByTestId('range-note').getByText('points').waitFor({ timeout: 10_000 });
    await shot(ppage, extra, 'phone-device.png');
    await ppage.goto(`${api.url}/#/map`);
    await ppage.locator('.map-land[d^="M"]').waitFor({ state: 'attached', timeout: 15_000 });
    await shot(ppage, extra, 'phone-map.png');
    await ppage.goto(`${api.url}/#/alarms`);
    await ppage.getByTestId('alarm-table').waitFor();
    await shot(ppage, extra, 'phone-alarms.png');
  }
  await phone.close();
} finally {
  await browser.close();
  await api.close();
  await fresh?.close();
}

// The lockout sequence logs 401/429 answers as console errors by design; those are expected.
const real = problems.filter((p) => !/status of 40[13]|status of 429/.test(p));
if (real.length) {
  console.error(`${real.length} problem(s):\n${real.join('\n')}`);
  process.exitCode = 1;
} else console.log('no console errors, no CSP violations');
