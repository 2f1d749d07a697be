/**
 * The security lab card of the system page in headless Chromium against a real Vigil whose data
 * directory holds a report from a real `vigil seclab` run: an admin sees the verdicts, the link to
 * the report and the button that starts a quick run; a viewer sees the report but no button.
 * The screenshot goes to VIGIL_SCREENSHOTS_DIR when set, else to a temp directory that is removed.
 * Any console error or CSP violation fails the test. Needs `npm run build:web` and /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { CHROMIUM, enrolledUser, launchChromium, signInPage } from './helpers/browser.ts';
import { screenshotsDir } from './helpers/chromium.ts';
import { startInstance } from './helpers/instance.ts';
import { runVigil } from './helpers/run-vigil.ts';

const ROOT = resolve(fileURLToPath(new URL('../', import.meta.url)));
const RUN_ID = '2026-12-02T08-00-00-000Z';

test('the system page shows the last seclab report; only an admin gets the run button', {
  timeout: 300_000,
}, async (t) => {
  if (!existsSync(CHROMIUM) || !existsSync(join(ROOT, 'web/dist/index.html'))) {
    t.skip('skipped: needs /usr/bin/chromium and npm run build:web');
    return;
  }
  const { dir: shots, remove: removeShots } = screenshotsDir('vigil-seclab-shots-');
  const inst = await startInstance();
  const browser = await launchChromium();
  const problems: string[] = [];
  const watch = (page: Page, label: string) => {
    page.on('console', (m) => {
      if (/status of 401/.test(m.text()) && m.location().url.endsWith('/api/v1/auth/me')) return;
      if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text()))
        problems.push(`${label}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${label}: ${e.message}`));
  };
  try {
    const run = await runVigil(
      [
        'seclab',
        '--quick',
        '--only',
        'sniff.broker-view,tamper.bitflip-mac',
        '--out',
        join(inst.dataDir, 'seclab', RUN_ID),
      ],
      { timeoutMs: 200_000 },
    );
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    const admin = await enrolledUser(inst, 'lab-admin', 'admin');
    const viewer = await enrolledUser(inst, 'lab-viewer', 'viewer');
    for (const [user, label] of [
      [admin, 'admin'],
      [viewer, 'viewer'],
    ] as const) {
      const ctx = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        ignoreHTTPSErrors: true,
        locale: 'en-GB',
      });
      const page = await ctx.newPage();
      watch(page, label);
      await signInPage(page, inst.httpUrl, user);
      await page.goto(`${inst.httpUrl}/#/system`);
      const card = page.getByTestId('system-seclab');
      await card.getByTestId('seclab-verdict').waitFor({ timeout: 20_000 });
      assert.match((await card.getByTestId('seclab-verdict').textContent()) ?? '', /Nothing got through/);
      assert.match((await card.getByTestId('seclab-scenarios').textContent()) ?? '', /2/);
      const href = await card.getByTestId('seclab-report-link').getAttribute('href');
      assert.equal(href, `/api/v1/seclab/runs/${RUN_ID}/files/seclab-report.md`);
      assert.equal(
        await card.getByTestId('seclab-run').count(),
        label === 'admin' ? 1 : 0,
        `${label}: run button`,
      );
      if (label === 'admin') {
        await card.scrollIntoViewIfNeeded();
        await card.screenshot({ path: join(shots, 'system-seclab.png') });
      }
      await ctx.close();
    }
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await inst.destroy();
    removeShots();
  }
});
