/**
 * Administration over real HTTPS with real sessions: users and sessions, API tokens, device
 * provisioning with the bundle in the answer, and alarm acknowledgement by role.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { API_TOKEN_RE } from '../src/auth/api-tokens.ts';
import { readDeviceBundle } from '../src/sim/device-bundle.ts';
import { apiRequest } from './helpers/api-client.ts';
import { startApiInstance } from './helpers/api-instance.ts';
import {
  awayFromStepEdge,
  Browser,
  type EnrolledUser,
  enrolledUser,
  errCode,
  firstSignIn,
  passwordOnly,
  totp,
} from './helpers/browser.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  makeEnvelope,
  send,
  truckSample,
  waitFor,
} from './helpers/instance.ts';

let inst: Instance;
let admin: EnrolledUser;
let quality: EnrolledUser;
let viewer: EnrolledUser;

before(async () => {
  ({ inst, admin } = await startApiInstance());
  quality = await enrolledUser(inst, 'quinn', 'quality');
  viewer = await enrolledUser(inst, 'vera', 'viewer');
});

after(async () => {
  await inst?.destroy();
});

async function auditOf(action: string) {
  return inst.ctx.store.queryAudit({ action, limit: 1000 });
}

describe('users', () => {
  it('an admin adds a user, whose one-time password is shown once and works once', async () => {
    const r = await admin.browser.post('/api/v1/users', { name: 'olivia', role: 'operator' });
    assert.equal(r.status, 201, r.text);
    const { user, oneTimePassword } = r.json as {
      user: { name: string; role: string };
      oneTimePassword: string;
    };
    assert.deepEqual([user.name, user.role], ['olivia', 'operator']);
    assert.match(oneTimePassword, /^[0-9a-z]{5}(-[0-9a-z]{5}){3}$/);
    assert.equal(r.headers['cache-control'], 'no-store');
    const entry = (await auditOf('user.add')).find((a) => a.object === 'olivia');
    assert.equal(entry?.actor, 'user:admin');
    assert.ok(!JSON.stringify(entry).includes(oneTimePassword));
    const dup = await admin.browser.post('/api/v1/users', { name: 'olivia', role: 'viewer' });
    assert.equal(dup.status, 409);
    const bad = await admin.browser.post('/api/v1/users', { name: 'Olivia Smith', role: 'viewer' });
    assert.equal(bad.status, 400);
    assert.equal((await admin.browser.post('/api/v1/users', { name: 'zed', role: 'root' })).status, 400);

    const olivia = await firstSignIn(inst, 'olivia', 'operator', oneTimePassword);
    const list = await admin.browser.call('/api/v1/users');
    const row = (
      list.json as { users: { name: string; mfaEnrolled: boolean; sessions: number }[] }
    ).users.find((u) => u.name === 'olivia');
    assert.deepEqual([row?.mfaEnrolled, row?.sessions], [true, 1]);
    const again = await new Browser(inst).post('/api/v1/auth/login', {
      username: 'olivia',
      password: oneTimePassword,
    });
    assert.equal(again.status, 401, 'the one-time password is spent');

    // Disable: her session dies at once; enable: she can sign in again.
    const dis = await admin.browser.post('/api/v1/users/olivia/disable');
    assert.equal(dis.status, 200, dis.text);
    assert.equal((dis.json as { user: { status: string; sessions: number } }).user.status, 'disabled');
    assert.equal((await olivia.browser.call('/api/v1/devices')).status, 401);
    const refused = await new Browser(inst).post('/api/v1/auth/login', {
      username: 'olivia',
      password: olivia.password,
    });
    assert.equal(refused.status, 401);
    assert.equal((await admin.browser.post('/api/v1/users/olivia/enable')).status, 200);
    const half = await passwordOnly(inst, 'olivia', olivia.password);
    assert.equal((await half.call('/api/v1/auth/me')).status, 200);

    // End her sessions.
    const end = await admin.browser.call('/api/v1/users/olivia/sessions', { method: 'DELETE' });
    assert.equal(end.status, 200, end.text);
    assert.deepEqual(end.json, { ended: 1 });
    assert.equal((await half.call('/api/v1/auth/me')).status, 401);
    assert.ok(
      (await auditOf('user.sessions_end')).some((a) => a.object === 'olivia' && a.actor === 'user:admin'),
    );

    // Reset MFA: the next sign-in enrols again.
    const reset = await admin.browser.post('/api/v1/users/olivia/reset-mfa');
    assert.equal(reset.status, 200);
    assert.equal((reset.json as { user: { mustEnrolMfa: boolean } }).user.mustEnrolMfa, true);
    const re = await new Browser(inst).post('/api/v1/auth/login', {
      username: 'olivia',
      password: olivia.password,
    });
    assert.equal((re.json as { state: string }).state, 'mfa_enrol_required');

    // Role change and password reset.
    const role = await admin.browser.post('/api/v1/users/olivia/role', { role: 'viewer' });
    assert.equal((role.json as { user: { role: string } }).user.role, 'viewer');
    const pw = await admin.browser.post('/api/v1/users/olivia/reset-password');
    assert.equal(pw.status, 200, pw.text);
    const otp2 = (pw.json as { oneTimePassword: string }).oneTimePassword;
    const first = await new Browser(inst).post('/api/v1/auth/login', { username: 'olivia', password: otp2 });
    assert.equal((first.json as { state: string }).state, 'password_change_required');

    assert.equal((await admin.browser.post('/api/v1/users/nobody-here/disable')).status, 404);
  });

  it('refuses to disable the last active admin', async () => {
    const r = await admin.browser.post('/api/v1/users/admin/disable');
    assert.equal(r.status, 400);
    assert.equal((await inst.server.auth.accounts.getUser('admin'))?.status, 'active');
  });

  it('lists live sessions (hashed ids, the caller marked) and ends one', async () => {
    const r = await admin.browser.call('/api/v1/sessions');
    assert.equal(r.status, 200, r.text);
    const sessions = (r.json as { sessions: { id: string; userName: string; current: boolean }[] }).sessions;
    const mine = sessions.filter((s) => s.current);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]?.userName, 'admin');
    for (const s of sessions) assert.ok(!admin.browser.issued.includes(s.id), 'never a cookie value');
    const vera = sessions.find((s) => s.userName === 'vera');
    assert.ok(vera);
    const del = await admin.browser.call(`/api/v1/sessions/${vera.id}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    assert.equal((await viewer.browser.call('/api/v1/devices')).status, 401);
    assert.equal((await admin.browser.call(`/api/v1/sessions/${vera.id}`, { method: 'DELETE' })).status, 404);
    // The auditor role may read, not change.
    const auditor = await enrolledUser(inst, 'audrey', 'auditor');
    assert.equal((await auditor.browser.call('/api/v1/sessions')).status, 200);
    assert.equal((await auditor.browser.call('/api/v1/users')).status, 200);
    const no = await auditor.browser.call('/api/v1/users/vera/sessions', { method: 'DELETE' });
    assert.equal(no.status, 403);
    // vera signs in again for the tests below (recovery code: no TOTP step to wait for).
    const b = await passwordOnly(inst, 'vera', viewer.password);
    assert.equal((await b.post('/api/v1/auth/mfa', { code: viewer.recoveryCodes[0] })).status, 200);
    viewer.browser = b;
  });
});

describe('API tokens', () => {
  it('are shown once, work as Bearer for their role, are listed without secret and can be revoked', async () => {
    const r = await admin.browser.post('/api/v1/tokens', {
      label: 'prometheus',
      role: 'auditor',
      ttlDays: 30,
    });
    assert.equal(r.status, 201, r.text);
    const { token, apiToken } = r.json as {
      token: string;
      apiToken: { id: string; status: string; role: string };
    };
    assert.match(token, /^vgl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual([apiToken.status, apiToken.role], ['active', 'auditor']);
    const bearer = { authorization: `Bearer ${token}` };
    const metrics = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
      path: '/metrics',
      headers: bearer,
    });
    assert.equal(metrics.status, 200);
    const list = await admin.browser.call('/api/v1/tokens');
    // The secret is everything after `vgl_<id>_`; it may itself contain `_` (base64url), so it is
    // cut by the token format, not split on `_`.
    const secret = API_TOKEN_RE.exec(token)?.[2] ?? '';
    assert.equal(secret.length, 43);
    assert.ok(!list.text.includes(secret), 'no secret in the list');
    assert.equal((list.json as { tokens: { id: string }[] }).tokens[0]?.id, apiToken.id);
    assert.equal((await auditOf('token.create'))[0]?.actor, 'user:admin');
    const del = await admin.browser.call(`/api/v1/tokens/${apiToken.id}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    const after = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, { path: '/metrics', headers: bearer });
    assert.equal(after.status, 401);
    assert.equal((await auditOf('token.revoke'))[0]?.actor, 'user:admin');
    assert.equal(
      (await admin.browser.call('/api/v1/tokens/0000000000000000', { method: 'DELETE' })).status,
      404,
    );
    assert.equal((await quality.browser.post('/api/v1/tokens', { label: 'x', role: 'admin' })).status, 403);
  });
});

describe('API tokens belong to their creator (the takeover path)', () => {
  it("an admin's token never manages users, tokens or notifications, and dies with its creator's admin role or account", async () => {
    const r = await admin.browser.post('/api/v1/users', { name: 'tara', role: 'admin' });
    assert.equal(r.status, 201, r.text);
    const tara = await firstSignIn(
      inst,
      'tara',
      'admin',
      (r.json as { oneTimePassword: string }).oneTimePassword,
    );
    const created = await tara.browser.post('/api/v1/tokens', {
      label: 'automation',
      role: 'admin',
      ttlDays: 30,
    });
    assert.equal(created.status, 201, created.text);
    const { token, apiToken } = created.json as { token: string; apiToken: { owner: string } };
    assert.equal(apiToken.owner, 'tara');
    const call = (path: string, method = 'GET', body?: unknown) =>
      apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
        path,
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    assert.equal((await call('/api/v1/users')).status, 200);
    // A token cannot create admins or tokens, nor reset another admin's password or MFA.
    for (const [path, body] of [
      ['/api/v1/users', { name: 'mole', role: 'admin' }],
      ['/api/v1/tokens', { label: 'x', role: 'admin' }],
      ['/api/v1/users/admin/reset-password', undefined],
      ['/api/v1/users/admin/reset-mfa', undefined],
    ] as const) {
      const refused = await call(path, 'POST', body ?? {});
      assert.equal(refused.status, 403, `${path}: ${refused.text}`);
      assert.equal(errCode(refused), 'VIGIL_ERR_FORBIDDEN');
    }
    // Nor reroute alarm notifications or swap a channel's credentials (notifications.manage).
    for (const [method, path, body] of [
      ['GET', '/api/v1/notifications/contacts', undefined],
      ['PUT', '/api/v1/notifications/contacts/mole', { name: 'Mole', email: 'mole@example.org' }],
      ['PUT', '/api/v1/notifications/channels/email', { settings: { host: 'mx.example.org' }, secret: 'x' }],
      ['POST', '/api/v1/notifications/test', { channel: 'email', to: 'mole@example.org' }],
    ] as const) {
      const refused = await call(path, method, body);
      assert.deepEqual([refused.status, errCode(refused)], [403, 'VIGIL_ERR_FORBIDDEN'], `${method} ${path}`);
    }
    assert.deepEqual((await admin.browser.call('/api/v1/notifications/contacts')).json, { contacts: [] });
    // Demoted: the token is capped at tara's new role.
    assert.equal((await admin.browser.post('/api/v1/users/tara/role', { role: 'viewer' })).status, 200);
    assert.equal((await call('/api/v1/users')).status, 403);
    assert.equal((await call('/api/v1/devices')).status, 200);
    // Disabled: the token stops working at all.
    assert.equal((await admin.browser.post('/api/v1/users/tara/role', { role: 'admin' })).status, 200);
    assert.equal((await call('/api/v1/users')).status, 200);
    assert.equal((await admin.browser.post('/api/v1/users/tara/disable')).status, 200);
    assert.equal((await call('/api/v1/devices')).status, 401);
    assert.equal(
      (await inst.ctx.store.queryAudit({ action: 'user.add' })).some((a) => a.object === 'mole'),
      false,
    );
  });
});

describe('device provisioning', () => {
  it('adds a device and returns its bundle once; the device can publish with it', async () => {
    const r = await admin.browser.post('/api/v1/devices', { id: 'truck-0901', profile: 'vaccine-transport' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers['cache-control'], 'no-store');
    const { device, bundle } = r.json as {
      device: { id: string; status: string };
      bundle: Record<string, string>;
    };
    assert.deepEqual([device.id, device.status], ['truck-0901', 'enabled']);
    assert.deepEqual(Object.keys(bundle).sort(), [
      'ca.crt',
      'device.crt',
      'device.json',
      'device.key',
      'vigil_device_config.h',
    ]);
    assert.match(bundle['device.key'] ?? '', /BEGIN PRIVATE KEY/);
    assert.deepEqual(readdirSync(join(inst.dataDir, 'tmp')), [], 'no copy of the secret left on disk');
    const entry = (await auditOf('device.add')).find((a) => a.object === 'truck-0901');
    assert.equal(entry?.actor, 'user:admin');
    assert.ok(!JSON.stringify(entry).includes(JSON.parse(bundle['device.json'] ?? '{}').secret));

    const dir = mkdtempSync(join(tmpdir(), 'vigil-bundle-'));
    try {
      mkdirSync(dir, { recursive: true });
      for (const [name, text] of Object.entries(bundle)) writeFileSync(join(dir, name), text);
      const b = readDeviceBundle(dir);
      const client = await connectDevice(inst.url, b);
      await send(
        client,
        'truck-0901',
        makeEnvelope(b, 'telemetry', { samples: [truckSample()] }, { seq: 1 }),
      );
      await waitFor('reading stored', async () => (await inst.ctx.store.countReadings('truck-0901')) === 1);
      await closeClient(client);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const dup = await admin.browser.post('/api/v1/devices', {
      id: 'truck-0901',
      profile: 'vaccine-transport',
    });
    assert.equal(dup.status, 409);
    const bad = await admin.browser.post('/api/v1/devices', {
      id: 'vigil-ingest',
      profile: 'vaccine-transport',
    });
    assert.equal(bad.status, 400);
    const q = await quality.browser.post('/api/v1/devices', {
      id: 'truck-0902',
      profile: 'vaccine-transport',
    });
    assert.equal(q.status, 403);
    assert.equal(errCode(q), 'VIGIL_ERR_FORBIDDEN');
  });
});

describe('alarms', () => {
  let alarmId = '';

  before(async () => {
    const now = Date.now();
    const { alarm } = await inst.server.alarms.open(
      {
        rule: 'heat',
        subject: 'truck-0901',
        startedAt: now - 20 * 60_000,
        raisedAt: now - 5 * 60_000,
        severity: 'critical',
        message: 'temperature above 8 °C for 15 min',
        peak: 9.4,
        unit: 'C',
      },
      now,
    );
    alarmId = alarm.id;
  });

  const ackPath = () => `/api/v1/alarms/${encodeURIComponent(alarmId)}/ack`;

  it('lists alarms to any reader, filtered by state', async () => {
    const r = await viewer.browser.call('/api/v1/alarms?state=open');
    assert.equal(r.status, 200, r.text);
    const alarms = (r.json as { alarms: { id: string; state: string; ack: unknown }[] }).alarms;
    assert.deepEqual(
      alarms.map((a) => [a.id, a.state, a.ack]),
      [[alarmId, 'open', null]],
    );
    const one = await viewer.browser.call(`/api/v1/alarms/${encodeURIComponent(alarmId)}`);
    assert.equal((one.json as { alarm: { peak: number } }).alarm.peak, 9.4);
    assert.equal((await viewer.browser.call('/api/v1/alarms?state=bogus')).status, 400);
    // The devices list carries each device's alarm state and latest reading.
    const list = await viewer.browser.call('/api/v1/devices');
    const truck = (
      list.json as { devices: { id: string; alarm: string; latest: { data: { temp_c: number } } | null }[] }
    ).devices.find((d) => d.id === 'truck-0901');
    assert.equal(truck?.alarm, 'open');
    assert.equal(truck?.latest?.data.temp_c, 4.6);
  });

  /** A complete e-signed acknowledgement body; override one field to test it. */
  const signed = (extra: Record<string, unknown> = {}) => ({
    reason: 'looks fine',
    meaning: 'reviewed',
    password: quality.password,
    totp: '000000',
    ...extra,
  });

  it('refuses an acknowledgement by a viewer (403), without MFA (403) and with an incomplete signature (400)', async () => {
    const v = await viewer.browser.post(ackPath(), signed());
    assert.equal(v.status, 403);
    assert.equal(errCode(v), 'VIGIL_ERR_FORBIDDEN');
    const half = await passwordOnly(inst, 'quinn', quality.password);
    const h = await half.post(ackPath(), signed());
    assert.equal(h.status, 403);
    assert.equal(errCode(h), 'VIGIL_ERR_MFA_REQUIRED');
    for (const body of [
      signed({ reason: '' }),
      signed({ reason: '   ' }),
      signed({ reason: 'x'.repeat(501) }),
      signed({ reason: 'a\u0000b' }),
      signed({ meaning: 'because' }),
      signed({ meaning: undefined }),
      signed({ password: undefined }),
      signed({ totp: undefined }),
      { reason: 'looks fine' },
      {},
    ]) {
      const r = await quality.browser.post(ackPath(), body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(errCode(r), 'VIGIL_ERR_VALIDATION');
    }
    assert.equal((await inst.server.alarms.get(alarmId))?.ack, null);
  });

  it('refuses a wrong password (401 VIGIL_ERR_AUTH) and a wrong TOTP code (401 VIGIL_ERR_TOTP), counted as failures', async () => {
    await awayFromStepEdge();
    const failuresBefore = (await inst.ctx.store.getCounters()).auth_mfa_failed ?? 0;
    const pw = await quality.browser.post(
      ackPath(),
      signed({ password: 'not the password', totp: totp(quality.secret, 0) }),
    );
    assert.equal(pw.status, 401, pw.text);
    assert.equal(errCode(pw), 'VIGIL_ERR_AUTH');
    const code = await quality.browser.post(ackPath(), signed({ totp: totp(quality.secret, 10) }));
    assert.equal(code.status, 401, code.text);
    assert.equal(errCode(code), 'VIGIL_ERR_TOTP');
    assert.equal((await inst.ctx.store.getCounters()).auth_mfa_failed, failuresBefore + 1);
    // the session survives a failed signature
    assert.equal((await quality.browser.call('/api/v1/auth/me')).status, 200);
    assert.equal((await inst.server.alarms.get(alarmId))?.ack, null);
  });

  it('lets quality with MFA acknowledge with an e-signature: name, role, time, meaning, reason recorded and audited, once', async () => {
    await awayFromStepEdge();
    const code = totp(quality.secret, 0);
    const t0 = Date.now();
    const r = await quality.browser.post(ackPath(), {
      reason: '  Vaccines moved to the backup fridge at 10:42.  ',
      meaning: 'impact assessed',
      password: quality.password,
      totp: code,
    });
    assert.equal(r.status, 200, r.text);
    const { alarm } = r.json as {
      alarm: {
        state: string;
        ack: { by: string; at: string; reason: string; meaning: string; name: string; role: string };
      };
    };
    assert.equal(alarm.state, 'acknowledged');
    assert.equal(alarm.ack.by, 'user:quinn');
    assert.equal(alarm.ack.name, 'quinn');
    assert.equal(alarm.ack.role, 'quality');
    assert.equal(alarm.ack.reason, 'Vaccines moved to the backup fridge at 10:42.');
    assert.equal(alarm.ack.meaning, 'impact assessed');
    assert.ok(Date.parse(alarm.ack.at) >= t0 && Date.parse(alarm.ack.at) <= Date.now(), alarm.ack.at);
    const entry = (await auditOf('alarm.ack')).find((a) => a.object === alarmId);
    assert.equal(entry?.actor, 'user:quinn');
    assert.equal(entry?.detail.reason, 'Vaccines moved to the backup fridge at 10:42.');
    assert.equal(entry?.detail.meaning, 'impact assessed');
    assert.equal(entry?.detail.signer, 'quinn');
    assert.equal(entry?.detail.role, 'quality');
    assert.equal(entry?.detail.signed_at, new Date(alarm.ack.at).toISOString());
    const text = JSON.stringify(entry);
    assert.ok(
      !text.includes(quality.password) && !text.includes(code),
      'no password or code in the audit log',
    );

    const twice = await quality.browser.post(
      ackPath(),
      signed({ reason: 'again', totp: totp(quality.secret, 1) }),
    );
    assert.equal(twice.status, 409);
    assert.equal(errCode(twice), 'VIGIL_ERR_ALREADY_ACKNOWLEDGED');
    const missing = await quality.browser.post('/api/v1/alarms/no-such-alarm/ack', signed({ reason: 'x' }));
    assert.equal(missing.status, 404);
    const active = await viewer.browser.call('/api/v1/alarms?state=active');
    assert.deepEqual(
      (active.json as { alarms: { state: string }[] }).alarms.map((a) => a.state),
      ['acknowledged'],
    );

    // A code signs once: the same code on another alarm is refused.
    const now = Date.now();
    const other = await inst.server.alarms.open(
      {
        rule: 'door-open',
        subject: 'truck-0901',
        startedAt: now - 10 * 60_000,
        raisedAt: now - 5 * 60_000,
        severity: 'warning',
        message: 'door open for 5 min',
      },
      now,
    );
    const reused = await quality.browser.post(
      `/api/v1/alarms/${encodeURIComponent(other.alarm.id)}/ack`,
      signed({ totp: code }),
    );
    assert.equal(reused.status, 401);
    assert.equal(errCode(reused), 'VIGIL_ERR_TOTP');
  });
});
