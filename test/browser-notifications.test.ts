/**
 * Notifications in the dashboard (headless Chromium against a real Vigil with a seeded fleet and
 * an SMTP server on loopback): the alarms page shows who is on call and each alarm's escalation,
 * and an alarm's notifications with the provider's answers; a new alarm changes the title bar;
 * the fleet list and device header show the highest open tier and never "OK" while a reading is
 * out of range; the shipments list has excursion and time-out-of-range columns; an admin adds a
 * contact through Admin → Notifications (audited). Screenshots go to VIGIL_SCREENSHOTS_DIR when
 * set (`npm run screenshots`), else to a temp directory that is removed.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import { makeTestPki } from '../src/pki/test-pki.fixture.ts';
import { CHROMIUM, enrolledUser, launchChromium, signInPage } from './helpers/browser.ts';
import { screenshotsDir } from './helpers/chromium.ts';
import {
  closeClient,
  connectDevice,
  makeEnvelope,
  send,
  startInstance,
  truckSample,
  waitFor,
} from './helpers/instance.ts';
import { startSmtpStub } from './helpers/notify-stubs.ts';
import { LIVE_SEQ_BASE, seedFleet } from './helpers/seed-fleet.ts';

const MIN = 60_000;

test('notifications in the dashboard', { timeout: 240_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) return t.skip('skipped: chromium not installed');
  const { dir: shotsDir, remove: removeShots } = screenshotsDir();
  const pki = await makeTestPki();
  const smtp = await startSmtpStub({
    tls: { cert: pki.server.certPem, key: pki.server.keyPkcs8Pem },
    secure: true,
  });
  const inst = await startInstance(
    { notifications: { dashboardUrl: 'https://vigil.example:8443', tickMs: 200 } },
    undefined,
    { live: { sampleMs: 1000 }, alarmService: { anomaly: false } },
  );
  let browser: Browser | undefined;
  try {
    const now = Date.now();
    // History ends three minutes ago, so truck-002's live 9.5 °C below is a rise a refrigerated
    // load can make (not a rate-of-change sensor fault) that no temperature tier has reached yet.
    const fleet = await seedFleet(inst, now - 3 * MIN, 6 * 3_600_000);
    const cfg = inst.server.notifications.config;
    const by = 'user:admin';
    await cfg.putChannel(
      'email',
      { host: 'localhost', port: smtp.port, security: 'tls', from: 'vigil@example.org', caPem: pki.certPem },
      null,
      by,
    );
    await cfg.putChannel('push', { subject: 'mailto:ops@example.org' }, undefined, by);
    for (const [id, name, email] of [
      ['quinn', 'Quinn Quality', 'quinn@example.org'],
      ['omar', 'Omar Operator', 'omar@example.org'],
      ['olga', 'Olga Operator', 'olga@example.org'],
      ['bo', 'Bo Manager', 'bo@example.org'],
    ] as const)
      await cfg.put('contact', { id, name, email }, by);
    await cfg.put('group', { id: 'operators', name: 'Operators', members: ['omar', 'olga'] }, by);
    const monday = new Date(now - ((new Date(now).getUTCDay() + 6) % 7) * 86_400_000)
      .toISOString()
      .slice(0, 10);
    await cfg.put(
      'schedule',
      {
        id: 'quality',
        name: 'Quality on call',
        startDate: monday,
        handoffTime: '00:00',
        members: ['quinn', 'omar'],
      },
      by,
    );
    await cfg.put(
      'policy',
      {
        id: 'cold-chain',
        name: 'Cold chain',
        ackTimeoutMinutes: 15,
        repeatMinutes: 10,
        finalRepeats: 2,
        levels: [
          { targets: [{ type: 'group', id: 'operators', channels: ['email'] }] },
          { targets: [{ type: 'contact', id: 'bo', channels: ['email'] }] },
        ],
      },
      by,
    );
    await cfg.put(
      'rule',
      {
        id: 'critical-cold-chain',
        name: 'Critical cold chain',
        match: { levels: ['critical', 'regulatory'] },
        targets: [
          { type: 'schedule', id: 'quality', channels: ['email'] },
          { type: 'group', id: 'operators', channels: ['email'] },
        ],
        escalationPolicy: 'cold-chain',
      },
      by,
    );
    await cfg.put(
      'rule',
      {
        id: 'warnings',
        name: 'Warnings',
        match: { levels: ['warning'] },
        targets: [{ type: 'group', id: 'operators', channels: ['email'] }],
      },
      by,
    );

    const alarms = inst.server.alarms;
    const critical = (
      await alarms.open(
        {
          rule: 'critical:above',
          subject: 'truck-001',
          startedAt: now - 80 * MIN,
          raisedAt: now - 20 * MIN,
          detectedAt: now - 20 * MIN,
          severity: 'critical',
          message: 'above 8 °C for 60 min',
          peak: 9.4,
          unit: 'C',
        },
        now,
      )
    ).alarm;
    await alarms.open(
      {
        rule: 'warning:above',
        subject: 'probe-001',
        startedAt: now - 30 * MIN,
        raisedAt: now - 10 * MIN,
        severity: 'warning',
        message: 'above 8 °C for 15 min',
        peak: 8.6,
        unit: 'C',
      },
      now,
    );
    const svc = inst.server.notifications.service;
    await svc.idle();
    await svc.tick(now + 16 * MIN);
    await smtp.waitFor(6);

    // truck-002: a reading above the limit with no alarm due yet.
    const t2 = fleet.find((d) => d.id === 'truck-002');
    assert.ok(t2);
    const client = await connectDevice(inst.url, t2.bundle);
    const ts = Date.now();
    await send(
      client,
      'truck-002',
      makeEnvelope(t2.bundle, 'telemetry', { samples: [truckSample(ts, 9.5)] }, { seq: LIVE_SEQ_BASE, ts }),
    );
    await closeClient(client);

    const admin = await enrolledUser(inst, 'nadia', 'admin');
    browser = await launchChromium();
    const context = await browser.newContext({
      viewport: { width: 1280, height: 860 },
      ignoreHTTPSErrors: true,
      locale: 'en-GB',
      timezoneId: 'Europe/Amsterdam',
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text());
    });
    await signInPage(page, inst.httpUrl, admin);
    await page.getByTestId('device-row-truck-001').waitFor();

    // Fleet: highest open tier per device; out of range is never "OK".
    await waitFor(
      'tier badges',
      async () => (await page.getByTestId('device-level-truck-001').textContent()) === 'Critical',
    );
    assert.equal(await page.getByTestId('device-level-probe-001').textContent(), 'Warning');
    await waitFor(
      'out of range',
      async () => (await page.getByTestId('device-level-truck-002').textContent()) === 'Out of range',
    );
    assert.match((await page.getByTestId('device-level-truck-001').getAttribute('class')) ?? '', /badge-bad/);
    assert.match(
      (await page.getByTestId('device-level-probe-001').getAttribute('class')) ?? '',
      /badge-warn/,
    );
    await page.goto(`${inst.httpUrl}/#/device/truck-002`);
    await waitFor(
      'device header',
      async () => (await page.getByTestId('device-level').textContent()) === 'Out of range',
    );

    // Alarms page: on call now, escalation state, notifications with provider responses.
    await page.goto(`${inst.httpUrl}/#/alarms`);
    await page.getByTestId(`escalation-${critical.id}`).waitFor();
    assert.match(
      (await page.getByTestId(`escalation-${critical.id}`).textContent()) ?? '',
      /Level 1 of 2.*next/,
    );
    assert.match(
      (await page.getByTestId('on-call-quality').textContent()) ?? '',
      /Quinn Quality|Omar Operator/,
    );
    await page.screenshot({ path: join(shotsDir, 'alarms-notifications.png'), fullPage: true });
    await page.getByTestId(`alarm-row-${critical.id}`).getByTestId('notifications-button').click();
    await page.getByTestId('notification-table').waitFor();
    const rows = await page.getByTestId('notification-table').locator('tbody tr').count();
    const stored = await inst.ctx.notificationStore.listOutbox({ alarmId: critical.id });
    assert.equal(rows, stored.length, 'every recorded notification of the alarm');
    assert.ok(stored.some((n) => n.escalationLevel === 1) && stored.some((n) => n.escalationLevel === 0));
    assert.match((await page.getByTestId('notification-table').textContent()) ?? '', /250 OK/);
    await page.screenshot({ path: join(shotsDir, 'alarm-notifications-detail.png') });
    await page.keyboard.press('Escape');

    // A new alarm while the page is open: the title bar says so.
    await alarms.open(
      {
        rule: 'critical:below',
        subject: 'truck-003',
        startedAt: now,
        raisedAt: now,
        severity: 'critical',
        message: 'at or below -0.5 °C for 5 min',
        peak: -1.2,
        unit: 'C',
      },
      Date.now(),
    );
    await waitFor('the title cue', async () => /^(⚠ New alarm · |\(\d+\) )/.test(await page.title()), 15_000);

    // Shipments list columns.
    await page.goto(`${inst.httpUrl}/#/shipments`);
    await page.getByText('No shipments yet.').or(page.getByTestId('shipment-table')).first().waitFor();

    // Admin: add a contact through the form.
    await page.goto(`${inst.httpUrl}/#/admin/notifications`);
    await page.getByTestId('notify-table-rules').waitFor();
    await page.screenshot({ path: join(shotsDir, 'admin-notifications.png'), fullPage: true });
    await page.getByTestId('notify-section-contacts').click();
    await page.getByTestId('notify-add-contacts').click();
    await page.getByTestId('notify-id').fill('ines');
    await page.getByTestId('contact-name').fill('Ines Inspector');
    await page.getByTestId('contact-email').fill('ines@example.org');
    await page.getByTestId('notify-save').click();
    await page.getByTestId('notify-row-contacts-ines').waitFor();
    assert.equal((await cfg.get('contact', 'ines'))?.email, 'ines@example.org');
    const audit = await inst.ctx.store.queryAudit({ action: 'notify.contact.create', limit: 20 });
    assert.ok(audit.some((a) => a.actor === 'user:nadia' && a.object === 'ines'));
    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
    await inst.destroy();
    await smtp.close();
    removeShots();
  }
});
