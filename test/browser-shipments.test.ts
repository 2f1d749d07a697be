/**
 * The shipment pages in Debian's headless Chromium (playwright-core) against a real in-process
 * Vigil: a shipment is created for a truck, the truck's logger sends its dispatch event (batch id
 * and delivery token) over MQTT, then 12 h of backfilled samples with a heat excursion of more
 * than 10 h (WHO PQS E006: above +8 °C for 10 h raises the heat alarm). A quality user signs in
 * with password and TOTP and sees the excursion shaded on the shipment page and the heat alarm
 * listed; a receiver is told a wrong token is wrong, confirms delivery with the right one, and is
 * paused after repeated wrong tokens on a second shipment; quality then quarantines the shipment
 * with an electronic signature (password and TOTP re-entered).
 *
 * Screenshots `shipment.png` and `delivery.png` go into VIGIL_SCREENSHOTS_DIR when set
 * (`VIGIL_SCREENSHOTS_DIR=docs/screenshots`), else into a temp directory that is removed. Any
 * console error or CSP violation fails the test.
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
import type { DeviceBundleFiles } from '../src/sim/device-bundle.ts';
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
  waitFor,
} from './helpers/instance.ts';

const ROOT = resolve(fileURLToPath(new URL('../', import.meta.url)));
const WEB_INDEX = join(ROOT, 'web/dist/index.html');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const TRUCK = 'truck-0007';
const TRUCK2 = 'truck-0008';
const TOKEN = 'Vx7-k2Qp9Lm4';
const TOKEN2 = 'Zr8-t1Wn6Hd3';

/** Amsterdam → Antwerp by the A2/A27/A16, a few waypoints (lat, lon). */
const ROUTE: [number, number][] = [
  [52.3676, 4.9041],
  [52.09, 5.12],
  [51.81, 4.95],
  [51.59, 4.78],
  [51.45, 4.62],
  [51.2194, 4.4025],
];

/** A point `f` (0..1) of the way along ROUTE, shifted a little east to look driven, not planned. */
function along(f: number): { lat: number; lon: number } {
  const legs = ROUTE.length - 1;
  const x = Math.min(legs - 1e-9, Math.max(0, f * legs));
  const i = Math.floor(x);
  const t = x - i;
  const a = ROUTE[i] as [number, number];
  const b = ROUTE[i + 1] as [number, number];
  return { lat: a[0] + (b[0] - a[0]) * t, lon: a[1] + (b[1] - a[1]) * t + 0.015 * Math.sin(f * 9) };
}

const problems: string[] = [];

function watch(page: Page, label: string): void {
  // The delivery page's refused tokens (403, 429) and a decision's refused signature (401) are
  // answers the page shows, not errors.
  watchConsole(
    page,
    label,
    problems,
    (text, url) =>
      (/status of (403|429)/.test(text) && /\/deliver$/.test(url)) ||
      (/status of 401/.test(text) && /\/decision$/.test(url)),
  );
}

function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({
    viewport: { width: 1280, height: 800 },
    ignoreHTTPSErrors: true,
    locale: 'en-GB',
    timezoneId: 'Europe/Amsterdam',
  });
}

async function signIn(page: Page, inst: Instance, user: EnrolledUser): Promise<void> {
  await signInPage(page, inst.httpUrl, user);
}

/**
 * The whole page in one picture: the viewport grown to the page's height (a full-page capture
 * of a scrolled page would paint the sticky header in the middle), then restored.
 */
async function fullShot(page: Page, path: string): Promise<void> {
  const size = page.viewportSize() ?? { width: 1280, height: 800 };
  const height = Number(await page.evaluate('document.documentElement.scrollHeight'));
  await page.setViewportSize({ width: size.width, height: Math.min(6000, Math.max(size.height, height)) });
  await page.evaluate('window.scrollTo(0, 0)');
  await page.waitForTimeout(600); // charts and map follow the resize
  await page.screenshot({ path });
  await page.setViewportSize(size);
}

/** Sends samples in envelopes of at most 36 (the body limit is 200). */
async function sendSamples(
  c: MqttClient,
  b: DeviceBundleFiles,
  samples: Record<string, unknown>[],
  seq: { n: number },
): Promise<void> {
  for (let i = 0; i < samples.length; i += 36) {
    const chunk = samples.slice(i, i + 36);
    const ts = (chunk[chunk.length - 1] as { ts: number }).ts;
    await send(c, b.info.id, makeEnvelope(b, 'telemetry', { samples: chunk }, { seq: seq.n++, ts }));
  }
}

test('shipment pages in headless Chromium against a real Vigil', { timeout: 240_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);
    return;
  }
  assert.ok(existsSync(WEB_INDEX), 'web/dist is missing: run `npm run build:web` (npm test does)');

  const { dir: shotsDir, remove: removeShots } = screenshotsDir();
  // Review-only pictures (decision form, paused delivery): VIGIL_SCREENSHOTS_EXTRA, else dropped.
  const { dir: extraDir, remove: removeExtra } = screenshotsDir(
    'vigil-shots-extra-',
    'VIGIL_SCREENSHOTS_EXTRA',
  );

  const inst = await startInstance();
  const clients: MqttClient[] = [];
  let browser: Browser | undefined;
  try {
    const bundle = await inst.addDevice(TRUCK, 'vaccine-transport');
    const bundle2 = await inst.addDevice(TRUCK2, 'vaccine-transport');
    const shipments = inst.server.shipments;
    const first = ROUTE[0] as [number, number];
    const last = ROUTE[ROUTE.length - 1] as [number, number];
    const shipment = await shipments.create(
      {
        deviceId: TRUCK,
        profile: 'refrigerated',
        batches: [
          { lot: 'MMR-24-0917', product: 'Measles, mumps and rubella vaccine', quantity: 1200, vvm: 'VVM14' },
          { lot: 'DTP-24-1102', product: 'DTP vaccine', quantity: 800, vvm: 'VVM7' },
        ],
        origin: { name: 'Amsterdam depot', lat: first[0], lon: first[1] },
        destination: { name: 'Antwerp clinic', lat: last[0], lon: last[1] },
        plannedRoute: ROUTE.map(([lat, lon]) => ({ lat, lon })),
        eta: Date.now() + HOUR,
      },
      'user:dispatcher',
    );
    const second = await shipments.create(
      {
        deviceId: TRUCK2,
        profile: 'refrigerated',
        origin: { name: 'Utrecht hub' },
        destination: { name: 'Ghent' },
      },
      'user:dispatcher',
    );

    // ---- the logger: dispatch event, then 12 h of buffered samples delivered late (backfill)
    const now = Date.now();
    const t0 = now - 12 * HOUR;
    const c = await connectDevice(inst.url, bundle);
    const c2 = await connectDevice(inst.url, bundle2);
    clients.push(c, c2);
    const seq = { n: 1 };
    await send(
      c,
      TRUCK,
      makeEnvelope(
        bundle,
        'events',
        { type: 'dispatch', ts: t0, batch: 'B-7731-QX', token: TOKEN },
        {
          seq: seq.n++,
          ts: t0,
        },
      ),
      'events',
    );
    await send(
      c2,
      TRUCK2,
      makeEnvelope(
        bundle2,
        'events',
        { type: 'dispatch', ts: now - HOUR, batch: 'B-8812-ZR', token: TOKEN2 },
        {
          seq: 1,
          ts: now - HOUR,
        },
      ),
      'events',
    );
    await waitFor('both shipments in transit', async () => {
      const [a, b] = await Promise.all([shipments.get(shipment.id), shipments.get(second.id)]);
      return a.state === 'in_transit' && b.state === 'in_transit';
    });

    // Every 10 min: 1 h at 5 °C, then 10 h 30 min at 9.4–10.6 °C (heat), then back to 4–5 °C.
    const samples: Record<string, unknown>[] = [];
    const n = 12 * 6;
    for (let i = 0; i < n; i++) {
      const ts = t0 + 2 * MINUTE + i * 10 * MINUTE;
      if (ts > now - MINUTE) break;
      const hot = ts >= t0 + HOUR && ts < t0 + HOUR + 10.5 * HOUR;
      const temp = hot ? 10 + 0.6 * Math.sin(i / 3) : 4.6 + 0.4 * Math.sin(i / 2);
      const pos = along(i / (n - 1));
      samples.push({
        ts,
        temp_c: Math.round(temp * 10) / 10,
        rh_pct: 52,
        lat: Math.round(pos.lat * 1e5) / 1e5,
        lon: Math.round(pos.lon * 1e5) / 1e5,
        bat_pct: 90,
        power: 'mains',
      });
    }
    await sendSamples(c, bundle, samples, seq);
    await waitFor(
      'the trip readings stored',
      async () =>
        (await inst.ctx.store.queryReadings({ deviceId: TRUCK, since: t0, until: now, limit: 1000 }))
          .length >= samples.length,
      15_000,
    );
    // The heat rule runs on the readings' own timestamps: the alarm is raised in the past.
    const heat = await waitFor(
      'the heat alarm',
      async () => (await inst.server.alarms.list({ subject: TRUCK })).find((a) => a.rule === 'heat'),
      15_000,
    ).catch(() => undefined);

    const quality = await enrolledUser(inst, 'quinn.qa', 'quality');
    const receiver = await enrolledUser(inst, 'rita.recv', 'receiver');

    browser = await launchChromium();
    const b = browser;
    const qctx = await newContext(b);
    const qpage = await qctx.newPage();
    watch(qpage, 'quality');

    await t.test('quality sees the shipment with its excursion shaded and the alarm listed', async () => {
      await signIn(qpage, inst, quality);
      await qpage.getByTestId('nav-shipments').click();
      const row = qpage.getByTestId(`shipment-row-${shipment.id}`);
      await row.waitFor();
      await row.getByText('In transit').waitFor();
      await row.getByText('Amsterdam depot').waitFor();
      // MKT is filled in from the detail: a number in °C.
      await row.getByText(/\d+\.\d\d °C/).waitFor({ timeout: 10_000 });
      await qpage.screenshot({ path: join(extraDir, 'shipments.png') });
      await row.getByRole('link', { name: shipment.id }).click();

      await qpage.waitForURL(new RegExp(`#/shipment/${shipment.id}$`));
      const excursion = qpage.getByTestId('shipment-excursion');
      await excursion.first().waitFor();
      assert.equal(await excursion.count(), 1, 'one excursion');
      assert.match(await excursion.first().innerText(), /Above range/);
      // The chart actually shaded it (the draw hook counts what it drew).
      await qpage
        .locator('[data-testid="shipment-chart"][data-excursions-shaded="1"] canvas')
        .first()
        .waitFor();
      await qpage.locator('[data-testid="route-actual"]').waitFor({ state: 'attached' });
      await qpage.locator('[data-testid="route-planned"]').waitFor({ state: 'attached' });
      await qpage.locator('.route-map .map-land[d^="M"]').waitFor({ state: 'attached', timeout: 15_000 });
      if (heat) {
        const alarm = qpage.getByTestId('shipment-alarm').filter({ hasText: 'Heat' });
        await alarm.first().waitFor();
      } else {
        t.diagnostic('the rule engine raised no heat alarm: alarm listing not checked');
      }
      await qpage.getByTestId('custody-timeline').getByText('Dispatched').waitFor();
      // The dispatch record lists the same batches as the header, and names the logger's batch id
      // as the header does.
      const headerLots = await qpage.getByTestId('shipment-batches').locator('code').allTextContents();
      assert.deepEqual(headerLots, ['MMR-24-0917', 'DTP-24-1102']);
      const dispatchText = (await qpage.locator('.timeline-dispatch').first().textContent()) ?? '';
      assert.ok(dispatchText.includes(`batches ${headerLots.join(', ')}`), dispatchText);
      assert.match(dispatchText, /logger batch id \S+/);
      // The report link fetches the signed CSV and saves it.
      const [download] = await Promise.all([
        qpage.waitForEvent('download', { timeout: 15_000 }),
        qpage.getByTestId('report-csv').click(),
      ]);
      assert.equal(download.suggestedFilename(), `${shipment.id}.csv`);
      await qpage.getByTestId('report-pdf').waitFor();
      // Not decidable while in transit: no signature form yet.
      assert.equal(await qpage.getByTestId('decision-form').count(), 0);
      // The fleet map marks the trip's origin (A) and destination (B), named for the chosen truck.
      await qpage.goto(`${inst.httpUrl}/#/map?focus=${TRUCK}`);
      await qpage.getByTestId(`trip-pin-${TRUCK}-A`).waitFor();
      assert.match((await qpage.getByTestId(`trip-pin-${TRUCK}-B`).textContent()) ?? '', /Antwerp clinic/);
      await qpage.screenshot({ path: join(extraDir, 'map-trip-pins.png') });
      await qpage.goto(`${inst.httpUrl}/#/shipment/${shipment.id}`);
      await qpage.getByTestId('shipment-summary').waitFor();
    });

    const rctx = await newContext(b);
    const rpage = await rctx.newPage();
    watch(rpage, 'receiver');

    await t.test('the receiver is told a wrong token is wrong, then confirms delivery', async () => {
      await signIn(rpage, inst, receiver);
      // The receiver can confirm deliveries but not decide.
      await rpage.getByTestId('nav-delivery').click();
      await rpage.getByTestId('deliver-token').waitFor();
      await rpage.getByTestId('deliver-shipment').selectOption(shipment.id);
      await rpage.getByTestId('deliver-token').fill('WRONG-token-1');
      await rpage.getByTestId('deliver-submit').click();
      const result = rpage.getByTestId('deliver-result');
      await result.getByText('Wrong delivery token').waitFor();
      assert.equal((await shipments.get(shipment.id)).state, 'in_transit');

      await rpage.getByTestId('deliver-token').fill(TOKEN);
      await rpage.getByTestId('deliver-submit').click();
      await result.getByText(`Delivery of ${shipment.id} confirmed`).waitFor();
      assert.equal(await rpage.getByTestId('deliver-by').innerText(), receiver.name);
      assert.match(await rpage.getByTestId('deliver-where').innerText(), /^51\.\d{4}, 4\.\d{4}/);
      const s = await shipments.get(shipment.id);
      assert.equal(s.state, 'delivered');
      assert.equal(s.delivery?.by, `user:${receiver.name}`);
      // The token never shows on the page.
      assert.ok(!(await rpage.content()).includes(TOKEN));
      await rpage.waitForTimeout(400);
      await rpage.screenshot({ path: join(shotsDir, 'delivery.png') });
    });

    await t.test('repeated wrong tokens are paused with the time to wait', async () => {
      await rpage.getByTestId('deliver-shipment').selectOption(second.id);
      const result = rpage.getByTestId('deliver-result');
      const answered = rpage.locator('[data-testid="deliver-result"][data-outcome]');
      for (let i = 0; i < 8; i++) {
        // Typing clears the previous refusal, so the next answer is a fresh one.
        await rpage.getByTestId('deliver-token').fill(`not-the-token-${i}`);
        await rpage
          .locator('[data-testid="deliver-result"]:not([data-outcome])')
          .waitFor({ state: 'attached' });
        await rpage.getByTestId('deliver-submit').click();
        await answered.waitFor();
        if ((await result.getAttribute('data-outcome')) === 'limited') break;
        await result.getByText('Wrong delivery token').waitFor();
      }
      assert.equal(await result.getAttribute('data-outcome'), 'limited');
      await result.getByText('Too many wrong tokens').waitFor();
      assert.match(await result.innerText(), /Try again in \d+ (s|min)/);
      assert.equal(await rpage.getByTestId('deliver-submit').isDisabled(), true);
      assert.equal((await shipments.get(second.id)).state, 'in_transit');
      await rpage.screenshot({ path: join(extraDir, 'delivery-limited.png') });
    });

    await t.test('quality quarantines the delivered shipment with an electronic signature', async () => {
      await qpage.reload();
      const form = qpage.getByTestId('decision-form');
      await form.waitFor();
      await qpage.getByTestId('custody-timeline').getByText('Delivered').waitFor();
      // Nothing is pre-selected: the decision and the meaning of the signature are the signer's.
      assert.equal(await qpage.getByTestId('decision-released').isChecked(), false);
      assert.equal(await qpage.getByTestId('decision-quarantined').isChecked(), false);
      assert.equal(await qpage.getByTestId('decision-meaning').inputValue(), '');
      await qpage.getByTestId('decision-quarantined').check();
      await qpage
        .getByTestId('decision-reason')
        .fill('Heat excursion of 10.5 h above 8 °C; hold pending stability data.');
      await qpage.getByTestId('decision-meaning').selectOption('impact assessed');
      // A wrong password first: refused, said so, nothing recorded.
      await qpage.getByTestId('decision-password').fill('not my password');
      await qpage.getByTestId('decision-totp').fill('123456');
      await qpage.getByTestId('decision-submit').click();
      await qpage
        .getByTestId('decision-error')
        .getByText('password or the authenticator code is wrong')
        .waitFor();
      assert.equal((await shipments.get(shipment.id)).state, 'delivered');
      await fullShot(qpage, join(extraDir, 'shipment-decision.png'));

      await awayFromStepEdge();
      await qpage.getByTestId('decision-password').fill(quality.password);
      // The sign-in used this step's code; the next step's is fresh (one step of tolerance).
      await qpage.getByTestId('decision-totp').fill(totp(quality.secret, 1));
      await qpage.getByTestId('decision-submit').click();
      await qpage.getByTestId('decision-recorded').getByText(`Quarantined by ${quality.name}`).waitFor();
      const s = await shipments.get(shipment.id);
      assert.equal(s.state, 'quarantined');
      assert.equal(s.decision?.meaning, 'impact assessed');
      await qpage.getByTestId('shipment-excursion').first().waitFor();
      await qpage.locator('[data-testid="shipment-chart"][data-excursions-shaded="1"]').waitFor();
      await fullShot(qpage, join(shotsDir, 'shipment.png'));
    });

    await t.test('no console errors or CSP violations', () => {
      for (const f of ['shipment.png', 'delivery.png']) assert.ok(existsSync(join(shotsDir, f)), f);
      assert.deepEqual(problems, []);
    });
  } finally {
    await browser?.close().catch(() => {});
    for (const c of clients) await closeClient(c).catch(() => {});
    await inst.destroy();
    removeShots();
    removeExtra();
  }
});
