/**
 * `vigil notify` as an operator runs it (a child process on a data directory): a test e-mail to
 * an SMTP server with TLS, a test SMS to an HTTPS provider stub, a refused one with exit 1, the
 * outbox as NDJSON, the audit record.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openContext } from '../src/data-dir/context.ts';
import { NotificationConfig } from '../src/notifications/notification-config.ts';
import { makeTestPki, type TestPki } from '../src/pki/test-pki.fixture.ts';
import { MASTER_KEY_HEX } from './helpers/instance.ts';
import { type HttpsStub, type SmtpStub, startHttpsStub, startSmtpStub } from './helpers/notify-stubs.ts';
import { runVigil } from './helpers/run-vigil.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-notify-cli-'));
let pki: TestPki;
let smtp: SmtpStub;
let provider: HttpsStub;

before(async () => {
  pki = await makeTestPki();
  const tls = { cert: pki.server.certPem, key: pki.server.keyPkcs8Pem };
  smtp = await startSmtpStub({ tls, secure: false, auth: { user: 'ops', pass: 'relay-secret-1' } });
  provider = await startHttpsStub(tls);
  const ctx = await openContext({
    dataDir: dir,
    env: { VIGIL_MASTER_KEY: MASTER_KEY_HEX },
    logLevel: 'silent',
    create: true,
    createAdmin: false,
  });
  try {
    const config = new NotificationConfig({
      store: ctx.notificationStore,
      master: ctx.master,
      audit: ctx.store,
      clock: Date.now,
    });
    await config.putChannel(
      'email',
      {
        host: 'localhost',
        port: smtp.port,
        security: 'starttls',
        user: 'ops',
        from: 'vigil@example.org',
        caPem: pki.certPem,
      },
      'relay-secret-1',
      'test',
    );
    await config.putChannel(
      'sms',
      { preset: 'twilio', baseUrl: provider.url, accountId: 'AC1', from: '+15005550006', caPem: pki.certPem },
      'tok',
      'test',
    );
    await config.put('contact', { id: 'ann', name: 'Ann', email: 'ann@example.org' }, 'test');
    await config.put(
      'schedule',
      {
        id: 'quality',
        name: 'Quality',
        timeZone: 'UTC',
        startDate: '2026-01-05',
        handoffDay: 1,
        handoffTime: '09:00',
        members: ['ann'],
        overrides: [],
      },
      'test',
    );
  } finally {
    await ctx.close();
  }
});

after(async () => {
  await smtp?.close();
  await provider?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('vigil notify', () => {
  it('on-call --json prints who is on call now, one JSON object per schedule with ISO times', async () => {
    const r = await runVigil(['notify', 'on-call', '--json'], { dataDir: dir });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, r.stdout);
    const o = JSON.parse(lines[0] ?? '');
    assert.deepEqual(
      [o.scheduleId, o.contactId, o.contactName, o.override],
      ['quality', 'ann', 'Ann', false],
    );
    for (const k of ['since', 'until']) assert.match(o[k], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, k);
    const text = await runVigil(['notify', 'on-call'], { dataDir: dir });
    assert.match(text.stdout, /^quality: Ann until \d{4}-/);
  });

  it('test --channel email sends through the stored SMTP settings and prints the server’s answer', async () => {
    const r = await runVigil(['notify', 'test', '--channel', 'email', '--to', 'ops@example.org'], {
      dataDir: dir,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sent email to ops@example\.org: 250 /);
    const [m] = await smtp.waitFor(1);
    assert.equal(m?.secure, true);
    assert.match(m?.mail.subject ?? '', /^\[Vigil TEST\]/);
    assert.ok(m?.mail.text?.includes('this channel works'));
  });

  it('test --channel sms --json prints one JSON object with ISO times', async () => {
    const r = await runVigil(['notify', 'test', '--channel', 'sms', '--to', '+31612345678', '--json'], {
      dataDir: dir,
    });
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.deepEqual([o.channel, o.recipient, o.state, o.event], ['sms', '+31612345678', 'sent', 'test']);
    assert.match(o.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(new URLSearchParams(provider.requests[0]?.body.toString()).get('To'), '+31612345678');
  });

  it('exits 1 with the provider’s refusal, and 2 on a bad address', async () => {
    provider.respond = () => ({ status: 400, body: '{"message":"invalid To"}' });
    const r = await runVigil(['notify', 'test', '--channel', 'voice', '--to', '+31612345678'], {
      dataDir: dir,
    });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^FAILED voice to \+31612345678: HTTP 400 invalid To/);
    const bad = await runVigil(['notify', 'test', '--channel', 'sms', '--to', '0612'], { dataDir: dir });
    assert.equal(bad.code, 2, bad.stderr);
  });

  it('outbox --json lists every test with its result; each send is audited without credentials', async () => {
    const r = await runVigil(['notify', 'outbox', '--json'], { dataDir: dir });
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      rows.map((x) => `${x.channel}:${x.state}`),
      ['voice:failed', 'sms:sent', 'email:sent'],
    );
    // The CLI's JSON style: camelCase names, times as ISO 8601 UTC with milliseconds (or null).
    for (const x of rows) {
      for (const k of Object.keys(x)) assert.match(k, /^[a-z][a-zA-Z0-9]*$/);
      for (const k of ['createdAt', 'updatedAt', 'sentAt', 'nextAttemptAt'])
        if (x[k] !== null) assert.match(x[k], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, k);
    }
    const audit = await runVigil(['audit', '--action', 'notify.test', '--json'], { dataDir: dir });
    assert.equal(audit.stdout.trim().split('\n').length, 3, audit.stdout);
    assert.ok(!audit.stdout.includes('relay-secret-1') && !audit.stdout.includes('tok"'));
  });
});
