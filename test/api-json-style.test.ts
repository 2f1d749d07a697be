/**
 * The API speaks the same JSON as the CLI (docs/api.md, "Conventions"): every GET route an admin
 * can call, taken from the server's own route table, and one live-feed frame of every type, walked
 * with the CLI's style check (test/helpers/json-style.ts): camelCase names, and every field that
 * names a time an ISO 8601 UTC string with milliseconds, never a number. The instance is filled
 * first so that the answers carry those times: readings, an acknowledged and a disproved alarm, a
 * dispatched, delivered and decided shipment, a token that was used, notifications with attempts
 * and an escalation, an on-call schedule with an override, a command, signed firmware and an OTA
 * campaign.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { SESSION_COOKIE } from '../src/auth/sessions.ts';
import { publicKeyText } from '../src/ota/firmware-manifest.ts';
import { apiRequest } from './helpers/api-client.ts';
import { type EnrolledUser, enrolledUser, totp } from './helpers/browser.ts';
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
import { checkJsonStyle, FREE_FORM } from './helpers/json-style.ts';
import { LiveFeedClient } from './helpers/live-feed.ts';
import { uploadSigned } from './helpers/signed-firmware.ts';

const MIN = 60_000;
const TOKEN = 'STYLE-TOKEN-0001';
/**
 * Objects whose keys are data, not field names: reading samples, recorded details, profiles,
 * rejection and security counters by reason, a channel's settings, a command's arguments and
 * result, Prometheus-style counters.
 */
const API_FREE_FORM = new Set([
  ...FREE_FORM,
  'values',
  'min',
  'max',
  'sinceStart',
  'persisted',
  'auth',
  'delivery',
  'settings',
  'args',
  'result',
  'counters',
]);
/** GET routes whose answer is not JSON (or not for this caller): what they answer instead. */
const NOT_JSON: Record<string, number> = {
  '/metrics': 401, // bearer tokens only
  '/api/v1/live': 426, // a WebSocket
  '/': 503, // the dashboard is not built here
  '/*': 503,
};

let inst: Instance;
let admin: EnrolledUser;
let client: MqttClient | undefined;
let alarmId = '';
let shipmentId = '';
let campaignId = '';
const signer = generateKeyPairSync('ed25519');

before(async () => {
  inst = await startInstance({ ota: { trustedKeys: [publicKeyText(signer.publicKey)] } }, undefined, {
    webRoot: '/nonexistent-vigil-web',
    live: { sampleMs: 200, recheckMs: 300 },
  });
  admin = await enrolledUser(inst, 'stella', 'admin');
  await enrolledUser(inst, 'vic', 'viewer');
  const now = Date.now();

  // A truck that dispatches a shipment and reports through an excursion, over mTLS.
  const b = await inst.addDevice('truck-style-01');
  const created = await admin.browser.post('/api/v1/shipments', {
    deviceId: 'truck-style-01',
    batches: [{ lot: 'LOT-STYLE-1', product: 'MMR vaccine', quantity: 10 }],
    destination: { name: 'Antwerp', lat: 51.22, lon: 4.4 },
    eta: new Date(now + 60 * MIN).toISOString(),
  });
  assert.equal(created.status, 201, created.text);
  shipmentId = (created.json as { shipment: { id: string } }).shipment.id;
  client = await connectDevice(inst.url, b);
  const t0 = now - 120 * MIN;
  let seq = 0;
  await send(
    client,
    'truck-style-01',
    makeEnvelope(
      b,
      'events',
      { type: 'dispatch', ts: t0, batch: 'LOT-STYLE-1', token: TOKEN },
      { seq: ++seq },
    ),
    'events',
  );
  await waitFor(
    'in transit',
    async () => (await inst.ctx.shipmentStore.get(shipmentId))?.state === 'in_transit',
  );
  const samples = [];
  // Every 5 min; 12 °C for 25 minutes, then a 30-minute silence (a gap), then back in range.
  for (let i = 0; i <= 23; i++) {
    if (i >= 12 && i < 18) continue;
    samples.push(truckSample(t0 + i * 5 * MIN, i >= 6 && i < 11 ? 12 : 5));
  }
  await send(client, 'truck-style-01', makeEnvelope(b, 'telemetry', { samples }, { seq: ++seq }));
  await waitFor(
    'stored',
    async () => (await inst.ctx.store.countReadings('truck-style-01')) === samples.length,
  );
  const delivered = await admin.browser.post(`/api/v1/shipments/${shipmentId}/deliver`, { token: TOKEN });
  assert.equal(delivered.status, 200, delivered.text);

  // An alarm acknowledged with an e-signature, and one disproved by late data.
  const { alarm } = await inst.server.alarms.open(
    {
      rule: 'heat',
      subject: 'truck-style-01',
      startedAt: now - 30 * MIN,
      raisedAt: now - 20 * MIN,
      severity: 'critical',
      message: 'above 8 °C',
    },
    now - 20 * MIN,
  );
  alarmId = alarm.id;
  const ack = await admin.browser.post(`/api/v1/alarms/${encodeURIComponent(alarmId)}/ack`, {
    reason: 'load moved to the backup fridge',
    meaning: 'reviewed',
    password: admin.password,
    totp: totp(admin.secret),
  });
  assert.equal(ack.status, 200, ack.text);

  // Notifications: a contact, a schedule with an override (ISO in, ISO out), a sent
  // notification with its attempt, and an escalation.
  for (const [path, body] of [
    ['contacts/ops', { name: 'Ops desk', email: 'ops@example.org' }],
    [
      'schedules/week',
      {
        name: 'Week',
        startDate: '2026-01-05',
        members: ['ops'],
        overrides: [
          { contact: 'ops', from: new Date(now).toISOString(), to: new Date(now + 60 * MIN).toISOString() },
        ],
      },
    ],
    [
      'policies/esc',
      {
        name: 'Escalate',
        ackTimeoutMinutes: 10,
        repeatMinutes: 10,
        levels: [{ targets: [{ type: 'contact', id: 'ops', channels: ['email'] }] }],
      },
    ],
  ] as const) {
    const r = await admin.browser.call(`/api/v1/notifications/${path}`, { method: 'PUT', body });
    assert.equal(r.status, 200, `${path}: ${r.text}`);
  }
  const store = inst.ctx.notificationStore;
  const [item] = await store.enqueue(
    [
      {
        alarmId,
        event: 'raised',
        channel: 'email',
        contactId: 'ops',
        recipient: 'ops@example.org',
        target: {},
        message: { subject: 'Heat alarm', text: 'above 8 °C', short: 'heat', link: '', data: {} },
        escalationLevel: 0,
        level: 'critical',
      },
    ],
    now - 19 * MIN,
  );
  assert.ok(item);
  await store.recordAttempt(
    item.id,
    { at: now - 19 * MIN, ok: true, response: '250 ok', durationMs: 120 },
    { state: 'sent' },
  );
  await store.putEscalation({
    alarmId,
    policyId: 'esc',
    ruleId: 'r1',
    sent: 0,
    nextAt: now + 10 * MIN,
    state: 'active',
    reason: null,
    startedAt: now - 19 * MIN,
    updatedAt: now - 19 * MIN,
  });

  // An API token that was used, and a command queued for the truck.
  const token = await admin.browser.post('/api/v1/tokens', { label: 'style', role: 'viewer' });
  assert.equal(token.status, 201, token.text);
  const secret = (token.json as { token: string }).token;
  const used = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
    path: '/api/v1/devices',
    headers: { authorization: `Bearer ${secret}` },
  });
  assert.equal(used.status, 200);
  const cmd = await admin.browser.post('/api/v1/devices/truck-style-01/commands', { op: 'identify' });
  assert.equal(cmd.status, 201, cmd.text);

  // Signed firmware and a campaign for a probe (docs/ota.md).
  await inst.addDevice('probe-style-01', 'temperature-probe');
  await uploadSigned(inst, signer.privateKey, Buffer.alloc(1024, 3), '1.2.3');
  const campaign = await admin.browser.post('/api/v1/ota/campaigns', {
    version: '1.2.3',
    devices: ['probe-style-01'],
  });
  assert.equal(campaign.status, 201, campaign.text);
  campaignId = (campaign.json as { campaign: { id: string } }).campaign.id;
});

after(async () => {
  if (client) await closeClient(client);
  await inst?.destroy();
});

describe('one JSON style in the API', () => {
  it('every GET route an admin can call answers camelCase with ISO 8601 UTC times, never epoch numbers', async () => {
    const enc = encodeURIComponent;
    const samples: Record<string, string> = {
      '/api/v1/devices/:id': '/api/v1/devices/truck-style-01',
      '/api/v1/devices/:id/readings': `/api/v1/devices/truck-style-01/readings?from=${new Date(Date.now() - 3 * 60 * MIN).toISOString()}`,
      '/api/v1/devices/:id/commands': '/api/v1/devices/truck-style-01/commands',
      '/api/v1/devices/:id/lifecycle': '/api/v1/devices/truck-style-01/lifecycle',
      '/api/v1/devices/:id/reported': '/api/v1/devices/truck-style-01/reported',
      '/api/v1/ota/campaigns/:id': `/api/v1/ota/campaigns/${campaignId}`,
      '/api/v1/devices/:id/display': '/api/v1/devices/truck-style-01/display',
      '/api/v1/alarms/:id': `/api/v1/alarms/${enc(alarmId)}`,
      '/api/v1/alarms/:id/notifications': `/api/v1/alarms/${enc(alarmId)}/notifications`,
      '/api/v1/shipments/:id': `/api/v1/shipments/${shipmentId}`,
      '/api/v1/users/:name/sessions': '/api/v1/users/stella/sessions',
    };
    /** Routes that answer a file or a document rather than an API object. */
    const files = new Set(['/api/v1/shipments/:id/report', '/api/v1/seclab/runs/:id/files/:name']);
    const gets = inst.server.routes.filter((r) => r.method === 'GET');
    assert.ok(gets.length > 30, `${gets.length} GET routes`);
    const walked: string[] = [];
    for (const r of gets) {
      if (files.has(r.url)) continue;
      const path = samples[r.url] ?? r.url;
      assert.ok(!/\/:\w/.test(path), `add a sample request for GET ${r.url}`);
      const res = await admin.browser.call(path, r.url === '/*' ? { headers: { accept: 'text/html' } } : {});
      if (r.url in NOT_JSON) {
        assert.equal(res.status, NOT_JSON[r.url], `GET ${r.url}`);
        continue;
      }
      assert.equal(res.status, 200, `GET ${path}: ${res.text.slice(0, 300)}`);
      assert.match(String(res.headers['content-type']), /^application\/json/, `GET ${r.url}`);
      if (r.url === '/api/v1/openapi.json') continue; // the schema document itself, in JSON Schema's words
      checkJsonStyle(res.json, `GET ${r.url}`, API_FREE_FORM);
      walked.push(r.url);
    }
    assert.ok(walked.length >= 30, `${walked.length} routes walked`);
  });

  it('the answers carry the times the instance holds: the walk is not vacuous', async () => {
    // biome-ignore lint/suspicious/noExplicitAny: answers read by their documented shape
    const get = async (path: string) => (await admin.browser.call(path)).json as any;
    const shipment = await get(`/api/v1/shipments/${shipmentId}`);
    const s = shipment.shipment as Record<string, { at?: string } | string | null>;
    assert.equal(typeof (s.dispatch as { at: string }).at, 'string');
    assert.equal(typeof (s.delivery as { at: string }).at, 'string');
    assert.equal(typeof s.eta, 'string');
    const summary = shipment.summary as { excursions: { start: string }[]; gaps: { start: string }[] };
    assert.ok(summary.excursions.length > 0 && summary.gaps.length > 0, JSON.stringify(summary));
    const alarm = (await get(`/api/v1/alarms/${encodeURIComponent(alarmId)}`)).alarm as {
      ack: { at: string };
    };
    assert.match(alarm.ack.at, /Z$/);
    const series = await get(
      `/api/v1/devices/truck-style-01/readings?from=${new Date(Date.now() - 3 * 60 * MIN).toISOString()}`,
    );
    assert.ok((series.points as unknown[]).length > 0 && (series.gaps as unknown[]).length > 0);
    const notes = await get(`/api/v1/alarms/${encodeURIComponent(alarmId)}/notifications`);
    assert.equal((notes.notifications as { attemptLog: unknown[] }[])[0]?.attemptLog.length, 1);
    assert.equal(typeof (notes.escalation as { nextAt: unknown }).nextAt, 'string');
    const schedules = (await get('/api/v1/notifications/schedules')).schedules as {
      overrides: { from: string }[];
    }[];
    assert.match(schedules[0]?.overrides[0]?.from ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const tokens = (await get('/api/v1/tokens')).tokens as { lastUsedAt: string | null }[];
    assert.ok(tokens.some((t) => typeof t.lastUsedAt === 'string'));
  });

  it('one live-feed frame of every type speaks the same style', async () => {
    const feed = new LiveFeedClient(inst, { cookie: `${SESSION_COOKIE}=${admin.browser.token}` });
    await feed.opened;
    // The second system frame: the feed's device sampler has its baseline (a change after it is pushed).
    await waitFor('two system frames', () => feed.of('system').length > 1, 10_000);
    // A reading, an alarm, a device change (disabled), a command.
    const b = await inst.addDevice('probe-style-02', 'temperature-probe');
    const probe = await connectDevice(inst.url, b);
    try {
      await send(
        probe,
        'probe-style-02',
        makeEnvelope(b, 'telemetry', { samples: [{ ts: Date.now(), temp_c: 4.2 }] }, { seq: 1 }),
      );
      await waitFor('reading frame', () => feed.of('reading').length > 0, 10_000);
    } finally {
      await closeClient(probe);
    }
    await inst.server.alarms.open(
      {
        rule: 'door',
        subject: 'probe-style-02',
        startedAt: Date.now() - MIN,
        raisedAt: Date.now(),
        severity: 'warning',
        message: 'door open',
      },
      Date.now(),
    );
    await waitFor('alarm frame', () => feed.of('alarm').length > 0, 10_000);
    const cmd = await admin.browser.post('/api/v1/devices/probe-style-02/commands', { op: 'identify' });
    assert.equal(cmd.status, 201, cmd.text);
    await waitFor('command frame', () => feed.of('command').length > 0, 10_000);
    assert.equal((await admin.browser.post('/api/v1/devices/probe-style-02/disable')).status, 200);
    await waitFor('device frame', () => feed.of('device').length > 0, 10_000);
    const paused = await admin.browser.post(`/api/v1/ota/campaigns/${campaignId}/pause`);
    assert.equal(paused.status, 200, paused.text);
    await waitFor('ota frame', () => feed.of('ota').length > 0, 10_000);
    feed.ws.close();
    for (const type of ['reading', 'alarm', 'device', 'system', 'command', 'ota']) {
      const [m] = feed.of(type);
      assert.ok(m, `a ${type} frame`);
      checkJsonStyle(m, `live ${type}`, API_FREE_FORM);
    }
    assert.equal(typeof feed.of('reading')[0]?.data.ts, 'string');
    assert.equal(typeof feed.of('system')[0]?.data.now, 'string');
  });
});
