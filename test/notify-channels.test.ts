/**
 * Every notification channel against a real protocol server on loopback, over TLS with a test CA:
 * SMTP (smtp-server) with STARTTLS and with implicit TLS, an HTTPS SMS/voice provider stub (the
 * Twilio preset and a custom JSON API), a webhook receiver that verifies the signature as
 * docs/alarms.md tells receivers to, and a Web Push service that verifies the VAPID signature and
 * decrypts the RFC 8291 payload. Attacks: a downgrade to plain SMTP, a server from another CA.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { isVigilError } from '../src/errors.ts';
import { MasterKey } from '../src/keys/master-key.ts';
import type { Delivery } from '../src/notifications/channels/channel.ts';
import { createSenders } from '../src/notifications/channels/senders.ts';
import { NotificationConfig } from '../src/notifications/notification-config.ts';
import { buildMessage } from '../src/notifications/notification-message.ts';
import type { Channel } from '../src/notifications/notification-model.ts';
import { makeTestPki, type TestPki } from '../src/pki/test-pki.fixture.ts';
import { freshSqlite } from '../src/storage/adapters/sqlite.fixture.ts';
import type { SqliteAdapters } from '../src/storage/adapters/sqlite-adapters.ts';
import { verifyWebhook } from '../src/webhooks/signature.ts';
import {
  type HttpsStub,
  type PushServiceStub,
  type SimulatedBrowser,
  startHttpsStub,
  startPushServiceStub,
  startSmtpStub,
  type TlsPair,
} from './helpers/notify-stubs.ts';

const fresh = freshSqlite('notify-channels');
let pki: TestPki;
let tls: TlsPair;
let db: SqliteAdapters;
let config: NotificationConfig;
let senders: ReturnType<typeof createSenders>;
const T = Date.now();
const ADMIN = 'user:admin';

const message = (() => {
  const m = buildMessage({
    alarm: {
      id: 'sim-truck-001/critical:above/1',
      rule: 'critical:above',
      subject: 'sim-truck-001',
      severity: 'critical',
      state: 'open',
      startedAt: T - 3_600_000,
      raisedAt: T,
      resolvedAt: null,
      message: 'above 8 °C for 60 min',
      peak: 9.1,
      unit: 'C',
      detectedLate: false,
    },
    level: 'critical',
    deviceProfile: 'vaccine-transport',
    shipment: { id: 'shp-abcdefghij', profile: 'refrigerated', lots: ['LOT-1'], batchId: 'B-9' },
    limit: 8,
    event: 'raised',
    dashboardUrl: 'https://vigil.example:8443',
    includePatientFields: false,
    now: T,
  });
  return { ...m, data: m.data as unknown as Record<string, unknown> };
})();

const delivery = (channel: Channel, to: string, contactId: string | null = null): Delivery => ({
  channel,
  to,
  contactId,
  message,
  target: {},
  id: 42,
});

before(async () => {
  pki = await makeTestPki();
  tls = { cert: pki.server.certPem, key: pki.server.keyPkcs8Pem };
  db = fresh();
  config = new NotificationConfig({
    store: db.notifications,
    master: new MasterKey(randomBytes(32)),
    audit: db.store,
    clock: Date.now,
  });
  senders = createSenders({ config, store: db.notifications, clock: Date.now, timeoutMs: 5000 });
});
after(async () => {
  await db?.store.close();
});

/**
 * An SMTP server on loopback (closed when the test ends) and the e-mail channel pointed at it,
 * trusting the test CA: implicit TLS when the server is `secure`, else STARTTLS.
 */
async function smtpChannel(
  t: TestContext,
  stub: Parameters<typeof startSmtpStub>[0],
  settings: { host?: string; user?: string; from?: string } = {},
  password: string | null = null,
) {
  const smtp = await startSmtpStub(stub);
  t.after(() => smtp.close());
  await config.putChannel(
    'email',
    {
      host: settings.host ?? 'localhost',
      port: smtp.port,
      security: stub.secure ? 'tls' : 'starttls',
      ...(settings.user ? { user: settings.user } : {}),
      from: settings.from ?? 'vigil@example.org',
      caPem: pki.certPem,
    },
    password,
    ADMIN,
  );
  return smtp;
}

/** An HTTPS receiver (SMS provider, webhook) on loopback, closed when the test ends. */
async function httpsStub(t: TestContext): Promise<HttpsStub> {
  const stub = await startHttpsStub(tls);
  t.after(() => stub.close());
  return stub;
}

/** A push service on loopback (closed when the test ends) and one browser of `userName` subscribed to it. */
async function pushSubscriber(
  t: TestContext,
  userName: string,
): Promise<{ push: PushServiceStub; browser: SimulatedBrowser }> {
  const push = await startPushServiceStub(tls);
  t.after(() => push.close());
  const browser = push.browser();
  await db.notifications.putPushSubscription({
    userName,
    endpoint: browser.endpoint,
    ...browser.keys,
    createdAt: T,
  });
  return { push, browser };
}

describe('e-mail over SMTP', () => {
  it('delivers over STARTTLS with AUTH; the message carries the alarm facts; the password is stored sealed', async (t) => {
    const smtp = await smtpChannel(
      t,
      { tls, secure: false, auth: { user: 'vigil', pass: 'smtp-pass-9f3k' } },
      { user: 'vigil', from: 'Vigil <vigil@example.org>' },
      'smtp-pass-9f3k',
    );
    const r = await senders.email.send(delivery('email', 'quinn@example.org'));
    assert.equal(r.ok, true, r.response);
    assert.match(r.response, /^250 /);
    const [m] = await smtp.waitFor(1);
    assert.ok(m);
    assert.equal(m.secure, true, 'upgraded with STARTTLS before MAIL FROM');
    assert.equal(m.user, 'vigil');
    assert.deepEqual(m.envelopeTo, ['quinn@example.org']);
    assert.equal(m.mail.subject, message.subject);
    for (const want of [
      'Device: sim-truck-001',
      'Shipment: shp-abcdefghij',
      'Batch: batch B-9; lots LOT-1',
      'Value: 9.1 °C',
      'Limit: 8 °C',
      'Duration: 1 h',
      'https://vigil.example:8443/#/alarms?alarm=',
    ]) {
      assert.ok(m.mail.text?.includes(want), `${want} in the received text`);
    }
    assert.equal(m.mail.headers.get('x-vigil-alarm'), 'sim-truck-001/critical:above/1');
    const sealed = await db.notifications.getSecret('email.password');
    assert.ok(sealed && !sealed.toString('latin1').includes('smtp-pass-9f3k'), 'never stored in clear');
    // Sealed to its row: copied over another channel's credential, it does not open there.
    await db.notifications.putSecret('sms.token', sealed, T);
    await assert.rejects(config.secret('sms.token'), (e) => isVigilError(e, 'VIGIL_ERR_MASTER_KEY'));
    await db.notifications.deleteSecret('sms.token');
    assert.equal(await config.secret('email.password'), 'smtp-pass-9f3k');
    const view = await config.channels();
    assert.ok(!JSON.stringify(view).includes('smtp-pass-9f3k'), 'never shown');
    assert.equal(view.find((c) => c.channel === 'email')?.hasSecret, true);
  });

  it('delivers over implicit TLS (port 465 style)', async (t) => {
    const smtp = await smtpChannel(t, { tls, secure: true }, { host: '127.0.0.1' });
    const r = await senders.email.send(delivery('email', 'olga@example.org'));
    assert.equal(r.ok, true, r.response);
    const [m] = await smtp.waitFor(1);
    assert.equal(m?.secure, true);
    assert.equal(m?.mail.subject, message.subject);
  });

  it('refuses a server that does not offer STARTTLS (no downgrade to plain text)', async (t) => {
    const smtp = await smtpChannel(t, { tls, secure: false, noStartTls: true });
    const r = await senders.email.send(delivery('email', 'olga@example.org'));
    assert.equal(r.ok, false);
    assert.equal(smtp.received.length, 0, 'nothing was sent in clear');
  });

  it('refuses a server whose certificate another CA issued', async (t) => {
    const rogue = await (await pki.rogueCa()).client('localhost', { kind: 'service' });
    const smtp = await smtpChannel(t, { tls: { cert: rogue.certPem, key: rogue.keyPkcs8Pem }, secure: true });
    const r = await senders.email.send(delivery('email', 'olga@example.org'));
    assert.equal(r.ok, false);
    assert.match(r.response, /certificate|self.signed|unable to verify/i);
    assert.equal(smtp.received.length, 0);
  });

  it('reports a temporary SMTP refusal as retryable, a permanent one as final', async (t) => {
    const smtp = await smtpChannel(t, { tls, secure: true });
    smtp.failNext(1);
    const r = await senders.email.send(delivery('email', 'olga@example.org'));
    assert.deepEqual([r.ok, r.permanent], [false, false]);
    assert.match(r.response, /451/);
  });
});

describe('SMS and voice through a provider API', () => {
  it('sends SMS and calls through the Twilio preset: path, Basic auth, form fields, TwiML', async (t) => {
    const provider = await httpsStub(t);
    await config.putChannel(
      'sms',
      {
        preset: 'twilio',
        baseUrl: provider.url,
        accountId: 'AC0123456789',
        from: '+15005550006',
        caPem: pki.certPem,
      },
      'twilio-token-xyz',
      ADMIN,
    );
    const sms = await senders.sms.send(delivery('sms', '+31612345678'));
    assert.equal(sms.ok, true, sms.response);
    assert.match(sms.response, /^HTTP 201 sid=SM[0-9a-f]{32} queued$/);
    const call = await senders.voice.send(delivery('voice', '+31612345678'));
    assert.equal(call.ok, true, call.response);
    const [a, b] = provider.requests;
    assert.ok(a && b);
    assert.equal(a.url, '/2010-04-01/Accounts/AC0123456789/Messages.json');
    assert.equal(
      a.headers.authorization,
      `Basic ${Buffer.from('AC0123456789:twilio-token-xyz').toString('base64')}`,
    );
    assert.equal(a.headers['content-type'], 'application/x-www-form-urlencoded');
    const form = new URLSearchParams(a.body.toString());
    assert.deepEqual([form.get('To'), form.get('From')], ['+31612345678', '+15005550006']);
    assert.equal(form.get('Body'), message.short);
    assert.ok((form.get('Body') ?? '').length <= 300);
    assert.equal(b.url, '/2010-04-01/Accounts/AC0123456789/Calls.json');
    const twiml = new URLSearchParams(b.body.toString()).get('Twiml') ?? '';
    assert.match(
      twiml,
      /^<Response><Say>\[Vigil CRITICAL\] critical above on sim-truck-001 .*Acknowledge it in the Vigil dashboard\.<\/Say>/,
    );
    assert.ok(!twiml.includes('https://'), 'no link read aloud');
    assert.ok(!sms.response.includes('twilio-token-xyz') && !call.response.includes('twilio-token-xyz'));
  });

  it('speaks a custom JSON API with a bearer token; 503 is retried, 400 is final', async (t) => {
    const provider = await httpsStub(t);
    await config.putChannel(
      'sms',
      {
        preset: 'custom',
        baseUrl: provider.url,
        from: 'VIGIL',
        caPem: pki.certPem,
        api: {
          smsPath: '/v1/sms',
          voicePath: '/v1/calls',
          encoding: 'json',
          auth: 'bearer',
          fields: { to: 'recipient', from: 'sender', text: 'message', voice: 'speech' },
          voiceTwiml: false,
          idField: 'id',
        },
      },
      'bearer-abc',
      ADMIN,
    );
    provider.respond = () => ({ status: 202, body: '{"id":"m-1","status":"accepted"}' });
    const ok = await senders.sms.send(delivery('sms', '+31612345678'));
    assert.equal(ok.response, 'HTTP 202 id=m-1 accepted');
    const req = provider.requests[0];
    assert.equal(req?.headers.authorization, 'Bearer bearer-abc');
    assert.deepEqual(JSON.parse(req?.body.toString() ?? '{}'), {
      recipient: '+31612345678',
      sender: 'VIGIL',
      message: message.short,
    });
    provider.respond = () => ({ status: 503 });
    assert.deepEqual(await senders.sms.send(delivery('sms', '+31612345678')), {
      ok: false,
      response: 'HTTP 503',
      permanent: false,
    });
    provider.respond = () => ({ status: 400, body: '{"message":"bad number"}' });
    assert.deepEqual(await senders.sms.send(delivery('sms', '+31612345678')), {
      ok: false,
      response: 'HTTP 400 bad number',
      permanent: true,
    });
  });
});

describe('signed webhooks', () => {
  it('posts the alarm JSON with X-Vigil-Signature that the receiver verifies with its secret', async (t) => {
    const receiver = await httpsStub(t);
    await config.putChannel('webhook', { caPem: pki.certPem }, undefined, ADMIN);
    const { webhookSecret } = await config.put(
      'contact',
      { id: 'lims', name: 'LIMS', webhookUrl: `${receiver.url}/hooks/vigil` },
      ADMIN,
    );
    assert.ok(webhookSecret, 'shown once at creation');
    assert.equal(
      (
        await config.put(
          'contact',
          { id: 'lims', name: 'LIMS 2', webhookUrl: `${receiver.url}/hooks/vigil` },
          ADMIN,
        )
      ).webhookSecret,
      undefined,
    );
    receiver.respond = (r) => {
      try {
        verifyWebhook(webhookSecret, r.body, r.headers['x-vigil-signature'] as string, Date.now());
        return { status: 204 };
      } catch {
        return { status: 401 };
      }
    };
    const r = await senders.webhook.send(delivery('webhook', `${receiver.url}/hooks/vigil`, 'lims'));
    assert.deepEqual(r, { ok: true, response: 'HTTP 204' });
    const req = receiver.requests[0];
    assert.equal(req?.headers['idempotency-key'], '42');
    const body = JSON.parse(req?.body.toString() ?? '{}');
    assert.equal(body.type, 'alarm.raised');
    assert.equal(body.data.alarm.id, 'sim-truck-001/critical:above/1');
    assert.deepEqual(
      [body.data.alarm.value, body.data.alarm.limit, body.data.shipment.batchId],
      [9.1, 8, 'B-9'],
    );
    // A receiver holding another secret refuses it; after a rotation the old secret no longer verifies.
    const rotated = await config.rotateWebhookSecret('lims', ADMIN);
    const refused = await senders.webhook.send(delivery('webhook', `${receiver.url}/hooks/vigil`, 'lims'));
    assert.deepEqual([refused.ok, refused.response, refused.permanent], [false, 'HTTP 401', true]);
    assert.notEqual(rotated, webhookSecret);
  });
});

describe('Web Push', () => {
  it('delivers a VAPID-signed, RFC 8291-encrypted notification that the push service verifies and decrypts', async (t) => {
    const { push, browser } = await pushSubscriber(t, 'quinn');
    await config.putChannel(
      'push',
      { subject: 'mailto:ops@example.org', caPem: pki.certPem },
      undefined,
      ADMIN,
    );
    const r = await senders.push.send(delivery('push', browser.endpoint));
    assert.deepEqual(push.refusals, []);
    assert.deepEqual(r, { ok: true, response: 'HTTP 201' });
    const [d] = push.deliveries;
    assert.ok(d);
    assert.equal(d.vapidKey, (await config.vapid()).publicKey, 'signed with the server’s VAPID key');
    assert.deepEqual([d.claims.aud, d.claims.sub, d.urgency], [push.url, 'mailto:ops@example.org', 'high']);
    const payload = JSON.parse(d.payload);
    assert.deepEqual(payload, {
      title: message.subject,
      body: message.short,
      url: message.link,
      tag: 'sim-truck-001/critical:above/1',
    });
  });

  it('removes a subscription the push service says is gone', async (t) => {
    const { push, browser } = await pushSubscriber(t, 'olga');
    push.forceStatus = 410;
    const r = await senders.push.send(delivery('push', browser.endpoint));
    assert.deepEqual([r.ok, r.permanent], [false, true]);
    assert.equal((await db.notifications.listPushSubscriptions('olga')).length, 0);
  });
});
