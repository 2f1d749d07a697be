/**
 * The system page's external brokers in headless Chromium, against a real Mosquitto 2.x
 * configured by `vigil mosquitto-config` and a second broker that is down. Vigil's link to the
 * first subscribes (a persistent session), Vigil stops, a device publishes more than the broker
 * will queue for the absent ingest session (the queue limit is lowered in this broker's copy of
 * the configuration, as an undersized hand-written one would be), and Vigil starts again: the page
 * shows each broker's address and link state, Mosquitto's dropped-message counter (with the
 * warning) and what the broker holds, the same figures as `/api/v1/system` and `/metrics`.
 * Screenshot `system-external-brokers.png` into VIGIL_SCREENSHOTS_DIR when set
 * (`npm run screenshots`), else into a temporary directory.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import { openContext } from '../src/data-dir/context.ts';
import { addDevice } from '../src/devices/device-service.ts';
import { readDeviceBundle } from '../src/sim/device-bundle.ts';
import { apiRequest } from './helpers/api-client.ts';
import { CHROMIUM, enrolledUser, launchChromium, signInPage } from './helpers/browser.ts';
import { desktopPage, screenshotsDir } from './helpers/chromium.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  MASTER_KEY_HEX,
  makeEnvelope,
  send,
  startInstance,
  truckSample,
  waitFor,
} from './helpers/instance.ts';
import {
  freeLoopbackPort,
  mosquittoInstalled,
  mosquittoProcess,
  writeMosquittoConfig,
} from './helpers/mosquitto-process.ts';

/** What this broker queues for an absent session, and what the device sends meanwhile. */
const QUEUE = 5;
const SENT = 30;

interface BrokerRow {
  address: string;
  port: number;
  connected: boolean;
  droppedMessages: number | null;
  storedMessages: number | null;
}

test('the system page shows each external broker, its link and what it dropped', {
  timeout: 240_000,
}, async (t) => {
  if (!existsSync(CHROMIUM)) return t.skip('skipped: chromium not installed');
  if (!mosquittoInstalled()) return t.skip('skipped: mosquitto not installed');
  const { dir: shotsDir, remove: removeShots } = screenshotsDir();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ext-ui-'));
  const dataDir = join(dir, 'data');
  const mqDir = join(dir, 'mosquitto');
  const [portA, portB] = [await freeLoopbackPort(), await freeLoopbackPort()];
  const overrides = {
    // The server certificate's SAN has localhost and 127.0.0.1. B is never started.
    mqtt: {
      external: { url: `mqtts://localhost:${portA}`, urls: [`mqtts://localhost:${portB}`] },
      connectTimeoutMs: 3000,
    },
  };
  const broker = mosquittoProcess(mqDir);
  const problems: string[] = [];
  let inst: Instance | undefined;
  let browser: Browser | undefined;
  try {
    const env = { VIGIL_MASTER_KEY: MASTER_KEY_HEX };
    const setup = await openContext({ dataDir, env, create: true, logLevel: 'silent', overrides });
    const bundle = await addDevice(setup, {
      id: 'truck-ext-ui',
      profile: 'vaccine-transport',
      outDir: join(dir, 'bundles'),
      actor: 'test',
    }).finally(() => setup.close());
    const b = readDeviceBundle(bundle.dir);
    await writeMosquittoConfig(dataDir, mqDir, portA);
    // This broker's copy of the configuration: a queue far below the generated size (so it drops
    // what it acknowledged), and $SYS counters every second instead of 10 (a quicker test).
    const confFile = join(mqDir, 'mosquitto.conf');
    const conf = readFileSync(confFile, 'utf8');
    assert.match(conf, /^max_queued_messages \d+$/m);
    writeFileSync(
      confFile,
      conf
        .replace(/^max_queued_messages \d+$/m, `max_queued_messages ${QUEUE}`)
        .replace(/^sys_interval \d+$/m, 'sys_interval 1'),
    );
    await broker.start();

    // First start: the link subscribes on A, which keeps the ingest session while Vigil is away.
    const first = await startInstance(overrides, dataDir);
    inst = first;
    const firstAdmin = await enrolledUser(first, 'firstadmin', 'admin');
    await waitFor(
      'the link to A subscribed',
      async () => {
        const r = await firstAdmin.browser.call('/api/v1/system');
        return (r.json as { broker: { external: BrokerRow[] } }).broker.external[0]?.connected === true;
      },
      20_000,
    );
    await first.stop();
    inst = undefined;

    const c = await connectDevice(`mqtts://127.0.0.1:${portA}`, b);
    for (let seq = 1; seq <= SENT; seq++) {
      await send(
        c,
        b.info.id,
        makeEnvelope(b, 'telemetry', { samples: [truckSample(Date.now() - 1000)] }, { seq }),
      );
    }
    await closeClient(c);

    inst = await startInstance(overrides, dataDir);
    const i = inst;
    const readings = () => i.ctx.store.queryReadings({ deviceId: b.info.id, since: 0, limit: 1000 });
    await waitFor('the queued messages ingested', async () => (await readings()).length === QUEUE, 20_000);

    const user = await enrolledUser(i, 'opsadmin', 'admin');
    browser = await launchChromium();
    const { ctx, page } = await desktopPage(browser, problems, 900);
    await signInPage(page, i.httpUrl, user);
    await page.goto(`${i.httpUrl}/#/system`);
    const rowA = page.getByTestId(`external-broker-localhost:${portA}`);
    const rowB = page.getByTestId(`external-broker-localhost:${portB}`);
    // The page polls every 5 s; Mosquitto publishes its counters every second.
    await rowA.getByText('Linked').waitFor({ timeout: 30_000 });
    await page.getByTestId('external-brokers-dropped').waitFor({ timeout: 30_000 });
    const api = await user.browser.call('/api/v1/system');
    const [a, bRow] = (api.json as { broker: { external: BrokerRow[] } }).broker.external;
    assert.ok(a && bRow);
    assert.deepEqual([a.address, a.port, a.connected], ['localhost', portA, true]);
    assert.deepEqual(
      [bRow.address, bRow.port, bRow.connected, bRow.droppedMessages],
      ['localhost', portB, false, null],
    );
    assert.ok((a.droppedMessages ?? 0) >= SENT - QUEUE, `A dropped ${a.droppedMessages}`);
    assert.ok(a.storedMessages !== null);
    // The page says what the API says.
    const textA = await rowA.innerText();
    assert.match(textA, new RegExp(`localhost:${portA}`));
    assert.match(textA, new RegExp(`\\b${a.droppedMessages}\\b`));
    assert.match(textA, / msg/);
    const textB = await rowB.innerText();
    assert.match(textB, /Not linked/);
    assert.match(textB, /not read yet/);
    assert.match(await page.getByTestId('external-brokers-dropped').innerText(), /vigil mosquitto-config/);
    // And /metrics (a Prometheus token) carries the same counter for the same broker.
    const tok = await user.browser.post('/api/v1/tokens', {
      label: 'prometheus',
      role: 'auditor',
      ttlDays: 1,
    });
    assert.equal(tok.status, 201, tok.text);
    const metrics = await apiRequest(i.httpUrl, i.ctx.ca.certPem, {
      path: '/metrics',
      headers: { authorization: `Bearer ${(tok.json as { token: string }).token}` },
    });
    assert.match(metrics.text, new RegExp(`vigil_broker_link_up\\{broker="localhost:${portB}"\\} 0`));
    const m = new RegExp(`vigil_broker_dropped_messages\\{broker="localhost:${portA}"\\} (\\d+)`).exec(
      metrics.text,
    );
    assert.ok(m && Number(m[1]) >= (a.droppedMessages ?? 0), 'the counter only grows');

    await page.getByTestId('system-broker').scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);
    await page
      .getByTestId('system-broker')
      .screenshot({ path: join(shotsDir, 'system-external-brokers.png') });
    assert.deepEqual(problems, []);
    await ctx.close();
  } finally {
    await browser?.close();
    await inst?.stop().catch(() => {});
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
    removeShots();
  }
});
