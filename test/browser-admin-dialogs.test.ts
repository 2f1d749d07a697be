/**
 * The admin's create dialogs in headless Chromium against a real Vigil: a user, an API token and a
 * device are created from their forms, each answer (one-time password, bearer token, device bundle)
 * is shown once in place of the form, bad input is refused in the form without a request, and a
 * token is revoked after its confirmation.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, enrolledUser, launchChromium, signInPage } from './helpers/browser.ts';
import { type Instance, startInstance } from './helpers/instance.ts';

/** A screenshot into VIGIL_SCREENSHOTS_DIR when it is set; none otherwise. */
async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.VIGIL_SCREENSHOTS_DIR;
  if (dir) await page.screenshot({ path: join(resolve(dir), `${name}.png`) });
}

/** Submits the open form and waits for its answer in place of the form; returns its text. */
async function submitAndWait(page: Page, submit: string, answer: string): Promise<string> {
  await page.getByTestId(submit).click();
  const el = page.getByTestId(answer);
  await el.waitFor({ timeout: 15_000 });
  return (await el.textContent()) ?? '';
}

test('an admin creates a user, a token and a device from their dialogs', { timeout: 180_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) return t.skip('skipped: chromium not installed');
  const inst: Instance = await startInstance();
  let browser: Browser | undefined;
  try {
    const admin = await enrolledUser(inst, 'ada', 'admin');
    browser = await launchChromium();
    const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    await signInPage(page, inst.httpUrl, admin);

    await t.test(
      'a bad user name is refused in the form; a good one shows its one-time password',
      async () => {
        await page.goto(`${inst.httpUrl}/#/admin/users`);
        await page.getByTestId('user-add').click();
        const dialog = page.getByTestId('user-dialog');
        await dialog.getByTestId('user-name').fill('X');
        await dialog.getByTestId('user-submit').click();
        await dialog.locator('.form-error').getByText('Check the user name').waitFor({ timeout: 5_000 });
        assert.equal(await page.getByTestId('user-otp').count(), 0);
        await dialog.getByTestId('user-name').fill('grace');
        await dialog.getByTestId('role-select').selectOption('operator');
        const otp = await submitAndWait(page, 'user-submit', 'user-otp');
        assert.ok(otp.length >= 8, `one-time password shown: ${otp}`);
        assert.match((await dialog.textContent()) ?? '', /User grace \(operator\) created/);
        await shot(page, 'admin-user-created');
        await dialog.getByRole('button', { name: 'Done' }).click();
        await page.getByTestId('user-row-grace').waitFor({ timeout: 15_000 });
        assert.match((await page.getByTestId('user-row-grace').textContent()) ?? '', /operator/);
      },
    );

    await t.test(
      'a token without a label is refused; with one its secret is shown, then it is revoked',
      async () => {
        await page.goto(`${inst.httpUrl}/#/admin/tokens`);
        await page.getByTestId('token-add').click();
        const dialog = page.getByTestId('token-dialog');
        await dialog.getByTestId('token-submit').click();
        await dialog.locator('.form-error').getByText('Give the token a label.').waitFor({ timeout: 5_000 });
        await shot(page, 'admin-token-refused');
        await dialog.getByTestId('token-label').fill('scraper');
        const secret = await submitAndWait(page, 'token-submit', 'token-secret');
        assert.match(secret, /^vgl_/);
        await dialog.getByRole('button', { name: 'Done' }).click();
        const row = page.locator('[data-testid^="token-row-"]');
        await row.first().waitFor({ timeout: 15_000 });
        assert.match((await row.first().textContent()) ?? '', /scraper/);
        assert.match((await row.first().textContent()) ?? '', /Active/);
        await row.first().locator('[data-testid^="token-revoke-"]').click();
        await page.locator('dialog').getByRole('button', { name: 'Revoke' }).click();
        await row.first().getByText('Revoked').waitFor({ timeout: 15_000 });
      },
    );

    await t.test('a bad device id is refused; a good one offers its bundle once', async () => {
      await page.goto(`${inst.httpUrl}/#/admin/devices`);
      await page.getByTestId('device-add').click();
      const dialog = page.getByTestId('device-dialog');
      await dialog.getByTestId('device-id-input').fill('A');
      await dialog.getByTestId('device-submit').click();
      await dialog.locator('.form-error').getByText('Device ids are 3 to 64').waitFor({ timeout: 5_000 });
      await dialog.getByTestId('device-id-input').fill('truck-0042');
      await submitAndWait(page, 'device-submit', 'bundle-json');
      assert.ok((await dialog.locator('[data-testid^="bundle-"]').count()) >= 3);
      assert.match((await dialog.textContent()) ?? '', /Device truck-0042 added/);
      await shot(page, 'admin-device-added');
      await dialog.getByRole('button', { name: 'Done' }).click();
      await page
        .getByTestId('admin-device-table')
        .getByText('truck-0042')
        .first()
        .waitFor({ timeout: 15_000 });
    });
  } finally {
    await browser?.close();
    await inst.stop();
  }
});
