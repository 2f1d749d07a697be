/**
 * Dashboard tests' surroundings of headless Chromium (launched by `launchChromium` of
 * ./browser.ts): the skip reason when it or the built dashboard is missing, a screenshots
 * directory (VIGIL_SCREENSHOTS_DIR when set, else a temporary one that is removed), a browser
 * context for a signed-in page, and the watch on a page's console.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from './browser.ts';

export const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
export const WEB_ROOT = join(ROOT, 'web/dist');
export const chromiumSkip: string | false = !existsSync(CHROMIUM)
  ? `no ${CHROMIUM}`
  : !existsSync(join(WEB_ROOT, 'index.html'))
    ? 'web/dist not built'
    : false;

/**
 * Where a test's screenshots go: the folder `envVar` names when it is set (kept), else a new
 * temporary directory that `remove` deletes.
 */
export function screenshotsDir(
  prefix = 'vigil-shots-',
  envVar = 'VIGIL_SCREENSHOTS_DIR',
): { dir: string; kept: boolean; remove(): void } {
  const named = process.env[envVar];
  const dir = named ? resolve(named) : mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(dir, { recursive: true });
  return {
    dir,
    kept: Boolean(named),
    remove() {
      if (!named) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Chromium and where this test's screenshots go; `done` closes it and removes a temporary directory. */
export async function openChromium(): Promise<{ browser: Browser; shots: string; done(): Promise<void> }> {
  const shots = screenshotsDir();
  const browser = await launchChromium();
  return {
    browser,
    shots: shots.dir,
    async done() {
      await browser.close();
      shots.remove();
    },
  };
}

/**
 * Puts `page`'s console errors, CSP reports and page errors into `problems`, each prefixed with
 * `label`. Before sign-in the app asks /auth/me, and a 401 there is the expected "not signed in";
 * `expected` names further answers the page shows (a refused token, say), which are not faults.
 */
export function watchConsole(
  page: Page,
  label: string,
  problems: string[],
  expected: (text: string, url: string) => boolean = () => false,
): void {
  page.on('console', (m) => {
    const url = m.location().url;
    if (/status of 401/.test(m.text()) && url.endsWith('/api/v1/auth/me')) return;
    if (expected(m.text(), url)) return;
    if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text()))
      problems.push(`${label}: console ${m.type()}: ${m.text()} (${url})`);
  });
  page.on('pageerror', (e) => problems.push(`${label}: page error: ${e.message}`));
}

/**
 * A desktop page in a context of its own (the test CA accepted, en-GB in Amsterdam time) whose
 * page errors and console errors other than a 401 land in `problems`.
 */
export async function desktopPage(
  browser: Browser,
  problems: string[],
  height = 800,
): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({
    viewport: { width: 1280, height },
    ignoreHTTPSErrors: true,
    locale: 'en-GB',
    timezoneId: 'Europe/Amsterdam',
  });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return { ctx, page };
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
