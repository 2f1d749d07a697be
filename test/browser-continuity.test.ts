/**
 * The system page's continuity section in headless Chromium against a real run: backups
 * initialised, one scheduled backup and a restore drill done (RPO and RTO shown), devices whose
 * primary broker is down failing over to this node (shown on a secondary broker), the host UPS on
 * battery through a real upsd when nut-server is installed, the disk forecast and the certificate
 * expiries; each item jumps to its detail. Screenshot `continuity.png` into
 * VIGIL_SCREENSHOTS_DIR when set (`npm run screenshots`), else into a temporary directory.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import { generateBackupIdentity, identityFileText, writeIdentityFile } from '../src/backup/age-identity.ts';
import { type SimFleet, startSimFleet } from '../src/sim/runner.ts';
import { CHROMIUM, enrolledUser, launchChromium, signInPage } from './helpers/browser.ts';
import { desktopPage, screenshotsDir } from './helpers/chromium.ts';
import { freePort } from './helpers/free-port.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';
import { NUT_AVAILABLE, type NutServer, startNutServer } from './helpers/nut-server.ts';
import { runVigil } from './helpers/run-vigil.ts';
import { seedFleet } from './helpers/seed-fleet.ts';

test('the continuity section tells the truth about a real run', { timeout: 240_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip('skipped: chromium not installed');
    return;
  }
  const { dir: shotsDir, remove: removeShots } = screenshotsDir();
  const work = mkdtempSync(join(tmpdir(), 'vigil-continuity-ui-'));
  const problems: string[] = [];
  let nut: NutServer | undefined;
  let inst: Instance | undefined;
  let fleet: SimFleet | undefined;
  let browser: Browser | undefined;
  try {
    const mqttPort = await freePort();
    const deadPrimary = await freePort();
    const advertised = [`mqtts://127.0.0.1:${deadPrimary}`, `mqtts://127.0.0.1:${mqttPort}`];
    const pair = await generateBackupIdentity();
    const identity = join(work, 'backup-identity.txt');
    writeIdentityFile(identity, identityFileText(pair, new Date()));
    if (NUT_AVAILABLE) nut = await startNutServer(await freePort());
    inst = await startInstance(
      {
        mqtt: { port: mqttPort, advertisedBrokers: advertised },
        backup: { recipients: [pair.recipient], intervalMinutes: 60, command: 'true' },
        ...(nut
          ? {
              power: {
                nut: {
                  host: '127.0.0.1',
                  port: nut.port,
                  ups: nut.ups,
                  username: nut.username,
                  password: nut.password,
                },
                pollMs: 500,
              },
            }
          : {}),
      },
      undefined,
      { live: { sampleMs: 1000 }, continuity: { checkMs: 500 } },
    );
    const i = inst;
    await seedFleet(i, Date.now());
    // Three probes whose primary broker is down: they fail over to this node, the secondary.
    fleet = await startSimFleet(i.ctx, {
      profile: 'temperature-probe',
      devices: 3,
      rate: 1,
      brokers: advertised,
      seed: 'ui',
      reconnect: { baseMs: 200, capMs: 1000 },
    });
    await waitFor(
      'link events',
      async () =>
        (await i.server.continuity.report()).brokers.some((b) => !b.primary && b.devices.length === 3),
      20_000,
    );
    await i.server.continuity.backups.runNow();
    const drill = await runVigil(['backup', 'drill', '--identity', identity], {
      dataDir: i.dataDir,
      timeoutMs: 120_000,
    });
    assert.equal(drill.code, 0, drill.stderr);
    nut?.setStatus('OB', 74, 2460);
    if (nut)
      await waitFor(
        'UPS on battery',
        async () => (await i.server.continuity.report()).ups?.onBattery === true,
        15_000,
      );

    const user = await enrolledUser(i, 'opsadmin', 'admin');
    browser = await launchChromium();
    const { ctx, page } = await desktopPage(browser, problems);
    await signInPage(page, i.httpUrl, user);
    await page.goto(`${i.httpUrl}/#/system`);
    const overview = page.getByTestId('system-continuity-overview');
    await overview.waitFor({ timeout: 15_000 });
    await page.getByTestId('continuity-drill').getByText(/RTO/).waitFor({ timeout: 15_000 });
    assert.match(await page.getByTestId('continuity-backup').innerText(), /old/);
    assert.match(await page.getByTestId('continuity-drill').innerText(), /RPO/);
    assert.match(
      await page.getByTestId('continuity-brokers').innerText(),
      /3 device\(s\) on a secondary broker/,
    );
    assert.match(await page.getByTestId('continuity-certs').innerText(), /\d+ d/);
    assert.match(await page.getByTestId('continuity-disk').innerText(), /free/);
    if (nut) assert.match(await page.getByTestId('continuity-ups').innerText(), /OB/);
    // The broker column of the device table names the secondary.
    await page.getByTestId('continuity-table').getByText('secondary').first().waitFor();
    // Each item jumps to its detail.
    await page.getByTestId('continuity-drill').getByText('details').click();
    await page.waitForTimeout(800);
    assert.ok(await page.getByTestId('backup-detail').isVisible());
    await page.evaluate('window.scrollTo(0, 0)');
    await page.waitForTimeout(1200);
    await page.screenshot({ path: join(shotsDir, 'continuity.png') });
    await page.screenshot({ path: join(shotsDir, 'continuity-full.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await ctx.close();
  } finally {
    await browser?.close();
    await fleet?.stop();
    await inst?.destroy();
    await nut?.stop();
    rmSync(work, { recursive: true, force: true });
    removeShots();
  }
});
