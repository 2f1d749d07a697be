/**
 * Actuators in the dashboard, headless Chromium against a real in-process Vigil: an operator with
 * MFA sets a patient monitor's LED level on the device page (Outputs card, then the Commands
 * card's set_output) and sees the simulated device report it back, also a change the device made
 * itself; the running firmware version shows; a viewer sees the outputs but no control. Screenshots go to VIGIL_SCREENSHOTS_DIR when
 * set, else to a temp directory that is removed. Needs `npm run build:web` and /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { SimDevice } from '../src/sim/sim-device.ts';
import { enrolledUser, signInPage } from './helpers/browser.ts';
import { newPage, openChromium, chromiumSkip as skip, WEB_ROOT } from './helpers/chromium.ts';
import { type Instance, startInstance } from './helpers/instance.ts';

test('an operator sets an LED level and sees it reported back; a viewer gets no control', {
  skip,
  timeout: 120_000,
}, async () => {
  const inst: Instance = await startInstance({ commands: { resendAfterSeconds: 1 } }, undefined, {
    webRoot: WEB_ROOT,
  });
  const sim = new SimDevice(await inst.addDevice('ward-led-0001', 'patient-vitals'), { brokerUrl: inst.url });
  const { browser, shots, done } = await openChromium();
  const problems: string[] = [];
  try {
    await sim.connect();
    const operator = await enrolledUser(inst, 'led-operator', 'operator');
    const viewer = await enrolledUser(inst, 'led-viewer', 'viewer');
    const page = await newPage(browser, problems);
    await signInPage(page, inst.httpUrl, operator);
    await page.goto(`${inst.httpUrl}/#/device/ward-led-0001`);
    await page.getByTestId('output-set-led').waitFor();
    await page.getByTestId('output-input-led').fill('65');
    await page.getByTestId('output-set-led').click();
    await page.getByTestId('output-state-led').filter({ hasText: '65 %' }).waitFor({ timeout: 30_000 });
    assert.equal(sim.outputs.led, 65, 'the device applied it');
    const audit = await inst.ctx.store.queryAudit({ action: 'command.queued' });
    assert.equal(audit[0]?.actor, 'user:led-operator');
    // The running firmware version the device reported at boot.
    await page.getByTestId('lifecycle-firmware').filter({ hasText: '1.0.0' }).waitFor({ timeout: 10_000 });
    // The Commands card offers set_output too, with the profile's outputs.
    await page.getByTestId('command-op').selectOption('set_output');
    assert.deepEqual(await page.getByTestId('command-arg-name').locator('option').allTextContents(), [
      'LED level',
    ]);
    await page.getByTestId('command-arg-value').fill('30');
    await page.getByTestId('command-reason').fill('night mode');
    await page.getByTestId('command-send').click();
    await page.getByTestId('output-state-led').filter({ hasText: '30 %' }).waitFor({ timeout: 30_000 });
    assert.equal(sim.outputs.led, 30);
    // A change the device makes by itself shows too: the card follows its output events.
    sim.sendEvent({ type: 'output', name: 'led', value: 5 });
    await page.getByTestId('output-state-led').filter({ hasText: '5 %' }).waitFor({ timeout: 10_000 });
    await page.getByTestId('outputs-card').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'device-outputs.png'), fullPage: true });

    const vpage = await newPage(browser, problems);
    await signInPage(vpage, inst.httpUrl, viewer);
    await vpage.goto(`${inst.httpUrl}/#/device/ward-led-0001`);
    await vpage.getByTestId('output-state-led').filter({ hasText: '5 %' }).waitFor({ timeout: 10_000 });
    assert.equal(await vpage.getByTestId('output-set-led').count(), 0, 'a viewer gets no control');
    assert.deepEqual(problems, []);
  } finally {
    await done();
    await sim.close();
    await inst.destroy();
  }
});
