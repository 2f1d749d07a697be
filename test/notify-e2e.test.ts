/**
 * Notifications end to end in a real Vigil (broker, pipeline, encrypted store, HTTPS API): an
 * admin with MFA configures the e-mail channel, contacts, a routing rule and an escalation policy
 * through the API (audited); a device publishes an out-of-range reading over MQTT; the alarm's
 * e-mail arrives at an SMTP server started here (TLS); it escalates on the policy's timeline;
 * quality's signed acknowledgement stops it; a dead mail server delays nothing in ingest, raises
 * the channel's system alarm, and the notification survives a restart and is delivered after it.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { resolveProfile } from '../src/coldchain/profiles.ts';
import { makeTestPki, type TestPki } from '../src/pki/test-pki.fixture.ts';
import { awayFromStepEdge, type EnrolledUser, enrolledUser, errCode, totp } from './helpers/browser.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  makeEnvelope,
  send,
  startInstance,
  truckSample,
  waitFor,
} from './helpers/instance.ts';
import { type SmtpStub, startSmtpStub } from './helpers/notify-stubs.ts';

const DEVICE = 'truck-0901';
let inst: Instance;
let pki: TestPki;
let smtp: SmtpStub;
let admin: EnrolledUser;
let quality: EnrolledUser;
let client: MqttClient;
let seq = 0;

/** A refrigerated profile whose heat alarm is raised at the first reading above +8 °C. */
const immediateHeat = () => ({
  profile: resolveProfile({ preset: 'refrigerated', heat: { durationMs: 0 } }),
});

async function publish(tempC: number): Promise<number> {
  const ts = Date.now();
  await send(
    client,
    DEVICE,
    makeEnvelope(await bundle, 'telemetry', { samples: [truckSample(ts, tempC)] }, { seq: ++seq, ts }),
  );
  return ts;
}

let bundle: ReturnType<Instance['addDevice']>;

async function activeHeat() {
  return waitFor(
    'an active heat alarm',
    async () => (await inst.server.alarms.list({ subject: DEVICE, rule: 'heat', state: 'active' }))[0],
  );
}

before(async () => {
  pki = await makeTestPki();
  smtp = await startSmtpStub({
    tls: { cert: pki.server.certPem, key: pki.server.keyPkcs8Pem },
    secure: true,
  });
  inst = await startInstance(
    {
      notifications: {
        retryBaseMs: 300,
        retryMaxMs: 1000,
        tickMs: 100,
        channelFailureThreshold: 2,
        // Above a TLS handshake and SMTP dialogue on a loaded machine: a slow send must not count as
        // failed (it would be sent again), while the hung mail server below still times out quickly.
        sendTimeoutMs: 3000,
        dashboardUrl: 'https://vigil.example:8443',
      },
    },
    undefined,
    { alarmService: { anomaly: false } },
  );
  bundle = inst.addDevice(DEVICE);
  await bundle;
  await inst.server.alarmService.configureSubject(DEVICE, immediateHeat());
  client = await connectDevice(inst.url, await bundle);
  admin = await enrolledUser(inst, 'nadia', 'admin');
  quality = await enrolledUser(inst, 'quill', 'quality');
});

after(async () => {
  if (client?.connected) await closeClient(client);
  await inst?.destroy();
  await smtp?.close();
});

/** The alarm's outbox once its `n` rows are all `sent` (recorded after the mail server's reply). */
async function sentOutbox(alarmId: string, n: number) {
  return waitFor('the notifications recorded as sent', async () => {
    const rows = await inst.ctx.notificationStore.listOutbox({ alarmId });
    return rows.length === n && rows.every((r) => r.state === 'sent') ? rows : undefined;
  });
}

async function put(path: string, body: unknown): Promise<Record<string, unknown>> {
  const r = await admin.browser.call(`/api/v1/notifications/${path}`, { method: 'PUT', body });
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  return r.json as Record<string, unknown>;
}

describe('notifications end to end', () => {
  it('an admin with MFA configures channel, contacts, policy and rule; others may not; every change is audited', async () => {
    await put('channels/email', {
      settings: {
        host: 'localhost',
        port: smtp.port,
        security: 'tls',
        from: 'Vigil <vigil@example.org>',
        caPem: pki.certPem,
      },
      secret: null,
    });
    await put('contacts/quinn', { name: 'Quinn Quality', email: 'quinn@example.org' });
    await put('contacts/boss', { name: 'Bo Boss', email: 'boss@example.org' });
    await put('policies/cold-chain', {
      name: 'Cold chain',
      ackTimeoutMinutes: 1,
      repeatMinutes: 1,
      finalRepeats: 2,
      levels: [{ targets: [{ type: 'contact', id: 'boss', channels: ['email'] }] }],
    });
    await put('rules/regulatory', {
      name: 'Regulatory alarms to quality',
      match: { levels: ['regulatory', 'critical'], devices: ['truck-*'] },
      targets: [{ type: 'contact', id: 'quinn', channels: ['email'] }],
      escalationPolicy: 'cold-chain',
    });
    const refused = await quality.browser.call('/api/v1/notifications/contacts/x', {
      method: 'PUT',
      body: { name: 'X', email: 'x@example.org' },
    });
    assert.equal(refused.status, 403);
    const bad = await admin.browser.call('/api/v1/notifications/rules/broken', {
      method: 'PUT',
      body: { name: 'B', targets: [{ type: 'contact', id: 'nobody', channels: ['email'] }] },
    });
    assert.deepEqual([bad.status, errCode(bad)], [400, 'VIGIL_ERR_VALIDATION']);
    const inUse = await admin.browser.call('/api/v1/notifications/contacts/quinn', { method: 'DELETE' });
    assert.deepEqual([inUse.status, errCode(inUse)], [409, 'VIGIL_ERR_NOTIFY_IN_USE']);
    const audit = await inst.ctx.store.queryAudit({ limit: 200 });
    const actions = audit
      .filter((a) => a.action.startsWith('notify.'))
      .map((a) => `${a.actor} ${a.action} ${a.object}`);
    for (const want of [
      'user:nadia notify.channel.update email',
      'user:nadia notify.contact.create quinn',
      'user:nadia notify.policy.create cold-chain',
      'user:nadia notify.rule.create regulatory',
    ])
      assert.ok(actions.includes(want), `${want} in ${actions.join('; ')}`);
  });

  it('e-mails an out-of-range reading published over MQTT, with device, value, limit and link', async () => {
    const ts = await publish(9.6);
    const [m] = await smtp.waitFor(1);
    assert.ok(m);
    const alarm = await activeHeat();
    assert.deepEqual(m.envelopeTo, ['quinn@example.org']);
    assert.equal(m.mail.subject, `[Vigil REGULATORY] heat on ${DEVICE}: 9.6 °C`);
    const text = m.mail.text ?? '';
    for (const want of [
      `Device: ${DEVICE} (vaccine-transport)`,
      'Value: 9.6 °C',
      'Limit: 8 °C',
      `https://vigil.example:8443/#/alarms?alarm=${encodeURIComponent(alarm.id)}`,
    ])
      assert.ok(text.includes(want), `${want} in\n${text}`);
    assert.ok(m.receivedAt >= ts);
    // The stub has the mail before Vigil has its 250 reply: the attempt is recorded just after.
    await sentOutbox(alarm.id, 1);
    const r = await quality.browser.call(`/api/v1/alarms/${encodeURIComponent(alarm.id)}/notifications`);
    assert.equal(r.status, 200, r.text);
    const body = r.json as {
      notifications: {
        channel: string;
        recipient: string;
        state: string;
        lastResponse: string;
        attemptLog: unknown[];
      }[];
      escalation: { state: string };
    };
    assert.deepEqual(
      body.notifications.map((n) => [n.channel, n.recipient, n.state]),
      [['email', 'quinn@example.org', 'sent']],
    );
    assert.match(body.notifications[0]?.lastResponse ?? '', /^250 /);
    assert.equal(body.notifications[0]?.attemptLog.length, 1);
    assert.equal(body.escalation.state, 'active');
  });

  it('escalates when nobody acknowledges, and the signed acknowledgement stops it on every channel', async () => {
    const alarm = await activeHeat();
    const svc = inst.server.notifications.service;
    await svc.tick(Date.now() + 61_000);
    const [, esc] = await smtp.waitFor(2);
    assert.deepEqual(esc?.envelopeTo, ['boss@example.org']);
    assert.match(esc?.mail.subject ?? '', /^\[Vigil REGULATORY - ESCALATED L1\] heat on truck-0901/);

    await awayFromStepEdge();
    const ack = await quality.browser.post(`/api/v1/alarms/${encodeURIComponent(alarm.id)}/ack`, {
      reason: 'Load moved to the backup fridge.',
      meaning: 'reviewed',
      password: quality.password,
      totp: totp(quality.secret),
    });
    assert.equal(ack.status, 200, ack.text);
    await waitFor(
      'the escalation to stop',
      async () => (await inst.ctx.notificationStore.getEscalation(alarm.id))?.state === 'stopped',
    );
    for (const m of [3, 5, 10]) await svc.tick(Date.now() + m * 60_000);
    await svc.idle();
    assert.equal(smtp.received.length, 2, 'nothing after the acknowledgement');
    const r = await quality.browser.call('/api/v1/notifications/escalations');
    const e = (
      r.json as { escalations: { alarmId: string; state: string; reason: string; sent: number }[] }
    ).escalations.find((x) => x.alarmId === alarm.id);
    assert.deepEqual([e?.state, e?.reason, e?.sent], ['stopped', 'acknowledged by quill', 1]);
  });

  it('a dead mail server holds up neither ingest nor the rules; the channel alarm is raised; nothing is lost across a restart', async () => {
    // Back in range: the alarm resolves.
    await publish(5);
    await waitFor(
      'the heat alarm to resolve',
      async () =>
        (await inst.server.alarms.list({ subject: DEVICE, rule: 'heat', state: 'active' })).length === 0,
    );
    // The mail server accepts connections and never answers.
    const hung: Socket[] = [];
    let restarted: SmtpStub | undefined;
    const blackhole = createServer((s) => hung.push(s));
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
    const port = (blackhole.address() as { port: number }).port;
    await put('channels/email', {
      settings: { host: 'localhost', port, security: 'tls', from: 'vigil@example.org', caPem: pki.certPem },
    });
    try {
      await publish(10.2);
      const alarm = await activeHeat();
      // While a send hangs, readings are still acknowledged and stored at once.
      await waitFor(
        'a send in flight',
        async () =>
          (await inst.ctx.notificationStore.listOutbox({ alarmId: alarm.id, state: 'sending' })).length > 0,
      );
      const ts = await publish(10.4);
      const [stored] = await inst.ctx.store.queryReadings({ deviceId: DEVICE, descending: true, limit: 1 });
      assert.equal(stored?.ts, ts, 'PUBACK came after the commit, with the mail server hanging');
      const sys = await waitFor(
        'the e-mail channel alarm',
        async () =>
          (
            await inst.server.alarms.list({ subject: 'vigil', rule: 'notify-channel:email', state: 'active' })
          )[0],
        15_000,
      );
      assert.equal(sys.severity, 'critical');
      const pending = await inst.ctx.notificationStore.listOutbox({ alarmId: alarm.id });
      assert.ok(
        pending.every((n) => n.state === 'pending' || n.state === 'sending'),
        JSON.stringify(pending.map((n) => n.state)),
      );

      // Stop while it is still queued; the mail server is fixed meanwhile (same address); start again.
      client.end(true);
      await inst.stop();
      for (const s of hung) s.destroy();
      await new Promise<void>((r) => blackhole.close(() => r()));
      const before = await startSmtpStub({
        tls: { cert: pki.server.certPem, key: pki.server.keyPkcs8Pem },
        secure: true,
        port,
      });
      restarted = before;
      await inst.restart();
      const [m] = await before.waitFor(1, 15_000);
      assert.equal(m?.mail.subject, `[Vigil REGULATORY] heat on ${DEVICE}: 10.2 °C`);
      const rows = await sentOutbox(alarm.id, 1);
      assert.deepEqual(
        rows.map((n) => n.state),
        ['sent'],
      );
      assert.ok((rows[0]?.attempts ?? 0) >= 2, 'failed before the restart, sent after it');
      await waitFor(
        'the channel alarm to resolve',
        async () =>
          (await inst.server.alarms.list({ subject: 'vigil', rule: 'notify-channel:email', state: 'active' }))
            .length === 0,
      );
    } finally {
      for (const s of hung) s.destroy();
      blackhole.close();
      await restarted?.close();
    }
  });
});
