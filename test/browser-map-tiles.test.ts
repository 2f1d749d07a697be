/**
 * The fleet map's tile source (`dashboard.tiles.url`) in headless Chromium: with the setting, the
 * CSP allows images from that origin and nothing else besides our own, and the map draws its
 * tiles from a loopback HTTPS tile server; without it, the CSP names no other origin and the
 * map stays the bundled offline outline map. Screenshots go to VIGIL_SCREENSHOTS_DIR when set.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import { makeTestPki } from '../src/pki/test-pki.fixture.ts';
import { CHROMIUM, enrolledUser, launchChromium, signInPage } from './helpers/browser.ts';
import { screenshotsDir } from './helpers/chromium.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';

/** The little of the page's DOM the tile checks read inside page.evaluate (no DOM lib here). */
type TilePage = {
  document: {
    querySelectorAll(selector: string): Iterable<{ complete: boolean; naturalWidth: number; src: string }>;
  };
};

import { seedFleet } from './helpers/seed-fleet.ts';

const TILE_PATH = /^\/tiles\/(\d+)\/(\d+)\/(\d+)\.svg$/;

/** A 256 px tile that names itself, so a screenshot shows which tiles were drawn where. */
function tileSvg(z: string, x: string, y: string): string {
  const hue = (Number(x) * 47 + Number(y) * 89) % 360;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256">` +
    `<rect width="256" height="256" fill="hsl(${hue},45%,88%)" stroke="#7a8" stroke-width="2"/>` +
    `<text x="128" y="134" font-family="sans-serif" font-size="22" text-anchor="middle" fill="#354">` +
    `tile ${z}/${x}/${y}</text></svg>`
  );
}

test('the map draws tiles from dashboard.tiles.url, which the CSP allows alone', {
  timeout: 240_000,
}, async (t) => {
  if (!existsSync(CHROMIUM)) return t.skip('skipped: chromium not installed');
  const { dir: shotsDir, remove: removeShots } = screenshotsDir('vigil-tiles-');
  const pki = await makeTestPki();
  const cert = await pki.client('localhost', { kind: 'service' });
  const requested: string[] = [];
  const referers: (string | undefined)[] = [];
  const tiles = createServer({ cert: cert.certPem, key: cert.keyPkcs8Pem }, (req, res) => {
    const m = TILE_PATH.exec(req.url ?? '');
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    requested.push(`${m[1]}/${m[2]}/${m[3]}`);
    referers.push(req.headers.referer);
    res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(tileSvg(m[1] ?? '', m[2] ?? '', m[3] ?? ''));
  });
  await new Promise<void>((r) => tiles.listen(0, '127.0.0.1', r));
  const tileOrigin = `https://127.0.0.1:${(tiles.address() as AddressInfo).port}`;
  let inst: Instance | undefined;
  let plain: Instance | undefined;
  let browser: Browser | undefined;
  try {
    inst = await startInstance({
      dashboard: { tiles: { url: `${tileOrigin}/tiles/{z}/{x}/{y}.svg`, attribution: '© Test tiles' } },
    });
    await seedFleet(inst, Date.now());
    const admin = await enrolledUser(inst, 'ada', 'admin');
    browser = await launchChromium();
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, ignoreHTTPSErrors: true });
    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      // Before sign-in the page asks who is signed in: a 401 is the answer, not a fault.
      if (/status of 401/.test(m.text()) && m.location().url.endsWith('/api/v1/auth/me')) return;
      if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) problems.push(m.text());
    });
    await signInPage(page, inst.httpUrl, admin);

    await page.goto(`${inst.httpUrl}/#/map`);
    // The header of the page document itself (a hash change is no new response).
    const nav = await page.reload();
    const csp = nav?.headers()['content-security-policy'] ?? '';
    const imgSrc = csp
      .split(';')
      .map((d) => d.trim())
      .find((d) => d.startsWith('img-src'));
    assert.equal(imgSrc, `img-src 'self' data: ${tileOrigin}`);
    // Only images: scripts, styles and connections stay with our own origin.
    assert.equal(csp.split(tileOrigin).length, 2, csp);

    await page.getByTestId('map-marker-truck-001').waitFor({ timeout: 15_000 });
    await page
      .locator('[data-testid="map-tiles"] img')
      .first()
      .waitFor({ state: 'attached', timeout: 15_000 });
    // Every tile image on the page loaded (naturalWidth 0 would be a refused or failed image).
    // Every tile image on the page loaded (naturalWidth 0 would be a refused or failed image).
    // Polled with page.evaluate (DevTools, not eval: the page's CSP forbids eval, as it should).
    let shown = 0;
    await waitFor('every tile image loaded', async () => {
      shown = await page.evaluate(() => {
        const imgs = [
          ...(globalThis as unknown as TilePage).document.querySelectorAll('[data-testid="map-tiles"] img'),
        ];
        return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth === 256) ? imgs.length : 0;
      });
      return shown > 0;
    });
    assert.ok(shown >= 4, `${shown} tiles`);
    assert.ok(requested.length >= shown, `requests: ${requested.join(' ')}`);
    // The offline outline map gives way to the tiles; the attribution is shown.
    assert.equal(await page.locator('.map-land').isVisible(), false);
    await page.getByTestId('map-attribution').getByText('© Test tiles').waitFor();
    // The tile server gets our origin as Referer (its usage policy may ask for it), no path.
    assert.ok(
      referers.every((r) => r === `${inst?.httpUrl}/`),
      `referers: ${referers.join(' ')}`,
    );
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(shotsDir, 'map-tiles.png') });

    // Zooming in asks for the next tile zoom level.
    const zBefore = Math.max(...requested.map((r) => Number(r.split('/')[0])));
    for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Zoom in' }).click();
    await waitFor('a tile of a higher zoom', () =>
      page.evaluate(
        (z) =>
          [
            ...(globalThis as unknown as TilePage).document.querySelectorAll('[data-testid="map-tiles"] img'),
          ].some((i) => Number(new URL(i.src).pathname.split('/')[2]) > z),
        zBefore,
      ),
    );
    // "Fit fleet" zooms back to the fleet.
    await page.getByTestId('map-fit').click();
    await page.getByTestId('map-marker-truck-001').waitFor();
    assert.deepEqual(problems, []);
    await ctx.close();

    // Without the setting: no other origin in the CSP, and the offline map.
    plain = await startInstance({});
    await seedFleet(plain, Date.now());
    const viewer = await enrolledUser(plain, 'vera', 'admin');
    const ctx2 = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      ignoreHTTPSErrors: true,
    });
    const page2 = await ctx2.newPage();
    await signInPage(page2, plain.httpUrl, viewer);
    await page2.goto(`${plain.httpUrl}/#/map`);
    const nav2 = await page2.reload();
    const csp2 = nav2?.headers()['content-security-policy'] ?? '';
    assert.ok(csp2.includes("img-src 'self' data:;"), csp2);
    assert.doesNotMatch(csp2, /https?:\/\//, 'no external origin');
    await page2.locator('.map-land[d^="M"]').waitFor({ timeout: 15_000 });
    await page2.getByTestId('map-marker-truck-001').waitFor({ timeout: 10_000 });
    assert.equal(await page2.getByTestId('map-tiles').count(), 0);
    await ctx2.close();
  } finally {
    await browser?.close();
    await inst?.destroy();
    await plain?.destroy();
    tiles.closeAllConnections();
    await new Promise<void>((r) => tiles.close(() => r()));
    removeShots();
  }
});
