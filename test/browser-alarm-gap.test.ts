/**
 * An open data-gap alarm's message counts on in the page ("No data for 2 h 03 min so far") with
 * the page's clock, without a reload: the alarms page in headless Chromium against a real Vigil
 * whose probe fell silent, with the browser clock moved on by two minutes.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import { CHROMIUM, enrolledUser, launchChromium, signInPage } from './helpers/browser.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';

const MINUTE = 60_000;

test('an open gap alarm message shows a growing duration without reload', { timeout: 180_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) return t.skip('skipped: chromium not installed');
  let inst: Instance | undefined;
  let browser: Browser | undefined;
  try {
    inst = await startInstance({});
    await inst.addDevice('probe-gap', 'temperature-probe');
    const last = Date.now() - 2 * 60 * MINUTE;
    await inst.ctx.store.writeBatch({
      readings: Array.from({ length: 10 }, (_, i) => ({
        deviceId: 'probe-gap',
        seq: i + 1,
        idx: 0,
        ts: last - (9 - i) * MINUTE,
        receivedAt: last - (9 - i) * MINUTE + 200,
        backfill: false,
        data: { temp_c: 4.2 },
      })),
      messages: [],
      replayStates: [],
      lastSeen: [{ deviceId: 'probe-gap', at: last + 200 }],
    });
    const admin = await enrolledUser(inst, 'ada', 'admin');
    // As the rule writes it when the clock raises it (src/rules/data-gap-rule.ts).
    const now = Date.now();
    const { alarm } = await inst.server.alarms.open(
      {
        rule: 'data-gap',
        subject: 'probe-gap',
        startedAt: last,
        raisedAt: last + 30 * MINUTE,
        severity: 'warning',
        message: 'No data for 2 h 00 min so far (limit 30 min)',
      },
      now,
    );
    assert.ok(alarm);
    browser = await launchChromium();
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, ignoreHTTPSErrors: true });
    const page = await ctx.newPage();
    await page.clock.install();
    await signInPage(page, inst.httpUrl, admin);
    await page.goto(`${inst.httpUrl}/#/alarms`);
    const msg = page.getByTestId(`alarm-row-${alarm.id}`).getByTestId('gap-message');
    await msg.waitFor({ timeout: 15_000 });
    const before = (await msg.textContent()) ?? '';
    assert.match(before, /^No data for 2 h 0\d min so far \(limit .+\)$/);
    await page.clock.fastForward(3 * MINUTE);
    await waitFor(
      'the message to count on',
      async () => ((await msg.textContent()) ?? '') !== before,
      15_000,
    );
    const after = (await msg.textContent()) ?? '';
    const minutes = (s: string) => {
      const m = /(\d+) h (\d+) min/.exec(s);
      return m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
    };
    assert.ok(minutes(after) - minutes(before) >= 2, `${before} -> ${after}`);
    if (process.env.VIGIL_SCREENSHOTS_DIR) {
      await page.screenshot({ path: `${process.env.VIGIL_SCREENSHOTS_DIR}/alarms-gap-live.png` });
    }
    await ctx.close();
  } finally {
    await browser?.close();
    await inst?.destroy();
  }
});
