/**
 * Dashboard tests' surroundings of headless Chromium (launched by `launchChromium` of
 * ./browser.ts): the skip reason when it or the built dashboard is missing, a screenshots
 * directory (VIGIL_SCREENSHOTS_DIR when set, else a temporary one removed by `done`) and a
 * browser context for a signed-in page.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from './browser.ts';

export const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
export const WEB_ROOT = join(ROOT, 'web/dist');
export const chromiumSkip: string | false = !existsSync(CHROMIUM)
  ? `no ${CHROMIUM}`
  : !existsSync(join(WEB_ROOT, 'index.html'))
    ? 'web/dist not built'
    : false;

/** Chromium and where this test's screenshots go; `done` closes it and removes a temporary directory. */
export async function openChromium(): Promise<{ browser: Browser; shots: string; done(): Promise<void> }> {
  const shots = process.env.VIGIL_SCREENSHOTS_DIR ?? mkdtempSync(join(tmpdir(), 'vigil-shots-'));
  mkdirSync(shots, { recursive: true });
  const browser = await launchChromium();
  return {
    browser,
    shots,
    async done() {
      await browser.close();
      if (!process.env.VIGIL_SCREENSHOTS_DIR) rmSync(shots, { recursive: true, force: true });
    },
  };
}

/** A fresh page (1280×900, the test CA accepted) whose page errors land in `problems`. */
export async function newPage(browser: Browser, problems: string[]): Promise<Page> {
  const ctx = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    ignoreHTTPSErrors: true,
    locale: 'en-GB',
  });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return page;
}
