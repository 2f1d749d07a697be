/**
 * A patient monitor's bed and ward in the dashboard, in headless Chromium against a real
 * in-process Vigil: an operator sets them on the monitor's page (audited) and sees them there, on
 * the fleet list (where they are searchable) and beside its alarm, on a desktop and on a phone; an
 * auditor sees them without the form; a viewer sees none of it. Screenshots go to
 * VIGIL_SCREENSHOTS_DIR when set, else to a temporary directory that is removed.
 * Needs `npm run build:web` and /usr/bin/chromium (skipped without them).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, type EnrolledUser, enrolledUser, launchChromium, signInPage } from './helpers/browser.ts';
import { screenshotsDir } from './helpers/chromium.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';
import { seedFleet } from './helpers/seed-fleet.ts';

const ROOT = resolve(fileURLToPath(new URL('../', import.meta.url)));
const WEB_INDEX = join(ROOT, 'web/dist/index.html');
const skip = !existsSync(CHROMIUM) ? `no ${CHROMIUM}` : !existsSync(WEB_INDEX) ? 'web/dist not built' : false;

const WARD = 'Ward C – cardiology';
const BED = 'Bed 14';
const PLACE = `${WARD} · ${BED}`;
const HOUR = 3_600_000;

test('bed and ward of a patient monitor: set by an operator, shown to the roles allowed, hidden from a viewer', {
  skip,
  timeout: 240_000,
}, async () => {
  const { dir: shots, remove: removeShots } = screenshotsDir();
  const inst: Instance = await startInstance({}, undefined, { webRoot: join(ROOT, 'web/dist') });
  let browser: Browser | undefined;
  const problems: string[] = [];
  try {
    const now = Date.now();
    await seedFleet(inst, now, 2 * HOUR);
    await inst.server.alarms.open(
      {
        rule: 'news2',
        subject: 'vitals-001',
        startedAt: now - 30 * 60_000,
        raisedAt: now - 29 * 60_000,
        severity: 'critical',
        message: 'NEWS2 7 (high): emergency response',
      },
      now - 29 * 60_000,
    );
    const operator = await enrolledUser(inst, 'olga', 'operator');
    const auditor = await enrolledUser(inst, 'audrey', 'auditor');
    const viewer = await enrolledUser(inst, 'vic', 'viewer');
    browser = await launchChromium();
    const open = async (user: EnrolledUser): Promise<Page> => {
      const ctx = await (browser as Browser).newContext({
        viewport: { width: 1280, height: 900 },
        ignoreHTTPSErrors: true,
        locale: 'en-GB',
        timezoneId: 'Europe/Amsterdam',
      });
      const page = await ctx.newPage();
      page.on('pageerror', (e) => problems.push(`${user.name}: page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && !/status of 40[13]/.test(m.text()))
          problems.push(`${user.name}: console: ${m.text()}`);
      });
      await signInPage(page, inst.httpUrl, user);
      return page;
    };

    // The operator sets them on the monitor's page.
    const page = await open(operator);
    await page.goto(`${inst.httpUrl}/#/device/vitals-001`);
    await page.getByTestId('device-place').getByText('No bed or ward set').waitFor();
    await page.getByTestId('device-place-edit').click();
    await page.getByTestId('place-ward').fill(WARD);
    await page.getByTestId('place-bed').fill(`  ${BED} `);
    await page.screenshot({ path: join(shots, 'device-bed-ward-form.png') });
    await page.getByTestId('place-save').click();
    await page.getByTestId('device-place-text').getByText(PLACE).waitFor();
    await page.getByTestId('news2-score').first().waitFor();
    await page.screenshot({ path: join(shots, 'device-bed-ward.png') });
    const [entry] = await inst.ctx.store.queryAudit({ action: 'device.labels' });
    assert.equal(entry?.actor, 'user:olga');
    assert.deepEqual(entry?.detail, { bed: BED, ward: WARD, previous: { bed: null, ward: null } });

    // On the fleet list (and found by ward), and beside the monitor's alarm.
    await page.goto(`${inst.httpUrl}/#/overview`);
    await page.getByTestId('place-vitals-001').getByText(PLACE).waitFor();
    await page.getByTestId('device-search').fill('cardio');
    await waitFor(
      'only the monitor matches',
      async () => (await page.getByTestId(/^device-row-/).count()) === 1,
    );
    await page.getByTestId('device-row-vitals-001').waitFor();
    await page.getByTestId('device-search').fill('');
    await waitFor('every device again', async () => (await page.getByTestId(/^device-row-/).count()) > 1);
    await page.screenshot({ path: join(shots, 'fleet-bed-ward.png') });
    await page.goto(`${inst.httpUrl}/#/alarms`);
    await page.getByTestId('alarm-place-vitals-001').getByText(PLACE).waitFor();
    await page.screenshot({ path: join(shots, 'alarms-bed-ward.png') });

    // On a phone (the same session: a TOTP code signs in once): the place wraps within the
    // viewport, nothing cut off.
    const phone = page;
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${inst.httpUrl}/#/device/vitals-001`);
    await phone.getByTestId('device-place-text').getByText(PLACE).waitFor();
    await phone.locator('.toast').first().waitFor({ state: 'detached', timeout: 10_000 });
    const box = await phone.getByTestId('device-place').boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, JSON.stringify(box));
    const [scroll, client] = (await phone.evaluate(
      '[document.documentElement.scrollWidth, document.documentElement.clientWidth]',
    )) as [number, number];
    assert.ok(scroll <= client + 1, `page ${scroll} px wide in a ${client} px viewport`);
    await phone.screenshot({ path: join(shots, 'device-bed-ward-phone.png') });

    // An auditor sees them, without the form.
    const apage = await open(auditor);
    await apage.goto(`${inst.httpUrl}/#/device/vitals-001`);
    await apage.getByTestId('device-place-text').getByText(PLACE).waitFor();
    assert.equal(await apage.getByTestId('device-place-edit').count(), 0);

    // A viewer sees none of it: not on the page, the list or the alarms, not as text anywhere.
    const vpage = await open(viewer);
    for (const [hash, ready] of [
      ['#/device/vitals-001', 'news2-score'],
      ['#/overview', 'device-row-vitals-001'],
      ['#/alarms', 'alarm-table'],
    ] as const) {
      await vpage.goto(`${inst.httpUrl}/${hash}`);
      await vpage.getByTestId(ready).first().waitFor();
      assert.equal(await vpage.getByTestId('device-place').count(), 0, hash);
      const text = (await vpage.textContent('body')) ?? '';
      assert.ok(!text.includes(WARD) && !text.includes(BED), `${hash} shows a label to a viewer`);
    }
    await vpage.goto(`${inst.httpUrl}/#/device/vitals-001`);
    await vpage.getByTestId('news2-score').first().waitFor();
    await vpage.screenshot({ path: join(shots, 'device-bed-ward-viewer.png') });
    assert.deepEqual(problems, []);
  } finally {
    await browser?.close();
    await inst.destroy();
    removeShots();
  }
});
