/**
 * The read-only data routes and the device control routes of /api/v1, plus /metrics and the
 * OpenAPI document, over real HTTPS with a fake authenticator (principals per role, MFA on/off).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReadingRecord } from '../src/storage/store.ts';
import { type ApiResponse, apiRequest } from './helpers/api-client.ts';
import { fakeAuthenticator, sessionOf, tokenOf } from './helpers/fake-authenticator.ts';
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

let inst: Instance;
let origin: string;
const MIN = 60_000;

function call(
  path: string,
  o: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<ApiResponse> {
  return apiRequest(inst.httpUrl, inst.ctx.ca.certPem, { path, ...o });
}

function post(path: string, headers: Record<string, string>): Promise<ApiResponse> {
  return call(path, { method: 'POST', headers: { origin, ...headers } });
}

function code(r: ApiResponse): string | undefined {
  return (r.json as { error?: { code: string } } | undefined)?.error?.code;
}

before(async () => {
  inst = await startInstance({}, undefined, { authenticator: fakeAuthenticator });
  origin = inst.httpUrl;
  await inst.addDevice('truck-0201');
  await inst.addDevice('probe-0202', 'temperature-probe');
});

after(async () => {
  await inst.destroy();
});

describe('devices', () => {
  it('lists devices with status and last seen', async () => {
    const r = await call('/api/v1/devices', { headers: sessionOf('viewer') });
    assert.equal(r.status, 200, r.text);
    const { devices } = r.json as { devices: { id: string; status: string; lastSeenAt: number | null }[] };
    assert.deepEqual(devices.map((d) => d.id).sort(), ['probe-0202', 'truck-0201']);
    assert.ok(devices.every((d) => d.status === 'enabled' && 'lastSeenAt' in d));
  });

  it('answers 404 for an unknown device', async () => {
    const r = await call('/api/v1/devices/no-such-device', { headers: sessionOf('viewer') });
    assert.equal(r.status, 404);
    assert.equal(code(r), 'VIGIL_ERR_NOT_FOUND');
  });

  it('refuses a half-authenticated session (MFA pending) on reads', async () => {
    const r = await call('/api/v1/devices', { headers: sessionOf('operator', false) });
    assert.equal(r.status, 403);
    assert.equal(code(r), 'VIGIL_ERR_MFA_REQUIRED');
  });

  it('a viewer cannot disable a device', async () => {
    const r = await post('/api/v1/devices/truck-0201/disable', sessionOf('viewer'));
    assert.equal(r.status, 403);
    assert.equal(code(r), 'VIGIL_ERR_FORBIDDEN');
    assert.equal((await inst.ctx.store.getDevice('truck-0201'))?.status, 'enabled');
  });

  it('an operator without completed MFA gets 403 MFA_REQUIRED', async () => {
    const r = await post('/api/v1/devices/truck-0201/disable', sessionOf('operator', false));
    assert.equal(r.status, 403);
    assert.equal(code(r), 'VIGIL_ERR_MFA_REQUIRED');
    assert.equal((await inst.ctx.store.getDevice('truck-0201'))?.status, 'enabled');
  });

  it('an operator with MFA disables a live device: it is dropped, cannot reconnect, and the action is audited', async () => {
    const b = await inst.addDevice('truck-0203');
    const client = await connectDevice(inst.url, b);
    await send(client, 'truck-0203', makeEnvelope(b, 'telemetry', { samples: [truckSample()] }, { seq: 1 }));
    const closed = new Promise<void>((r) => client.once('close', () => r()));

    const r = await post('/api/v1/devices/truck-0203/disable', sessionOf('operator'));
    assert.equal(r.status, 200, r.text);
    assert.equal((r.json as { device: { status: string } }).device.status, 'disabled');
    await closed;
    await closeClient(client);
    await assert.rejects(connectDevice(inst.url, b));

    const audit = await inst.ctx.store.queryAudit({ action: 'device.disable' });
    const entry = audit.find((a) => a.object === 'truck-0203');
    assert.ok(entry, 'audited');
    assert.equal(entry.actor, 'user:operator-user');

    const back = await post('/api/v1/devices/truck-0203/enable', sessionOf('operator'));
    assert.equal(back.status, 200);
    assert.equal((await inst.ctx.store.getDevice('truck-0203'))?.status, 'enabled');
    const again = await connectDevice(inst.url, b);
    await closeClient(again);
  });

  it('shows a device with its latest reading', async () => {
    const r = await call('/api/v1/devices/truck-0203', { headers: sessionOf('quality') });
    assert.equal(r.status, 200, r.text);
    const body = r.json as { device: { id: string; online: boolean }; latest: { data: { temp_c: number } } };
    assert.equal(body.device.id, 'truck-0203');
    assert.equal(body.latest.data.temp_c, 4.6);
  });
});

describe('readings', () => {
  const T0 = Date.UTC(2026, 0, 1);

  before(async () => {
    // 30 days of 1-minute data with a 6-hour hole on day 10.
    const readings: ReadingRecord[] = [];
    for (let i = 0; i < 43_200; i++) {
      const ts = T0 + i * MIN;
      if (i >= 14_400 && i < 14_760) continue;
      readings.push({
        deviceId: 'probe-0202',
        seq: i + 1,
        idx: 0,
        ts,
        receivedAt: ts + 1000,
        backfill: false,
        data: { temp_c: i === 20_000 ? 12.5 : 5 + Math.sin(i / 500), power: 'mains' },
      });
    }
    await inst.ctx.store.writeBatch({ readings, messages: [], replayStates: [], lastSeen: [] });
  });

  it('downsamples 30 days of 1-minute data to at most maxPoints, keeping spikes and gaps', async () => {
    const t0 = performance.now();
    const r = await call(
      `/api/v1/devices/probe-0202/readings?from=${T0}&to=${T0 + 43_200 * MIN}&maxPoints=800`,
      {
        headers: sessionOf('viewer'),
      },
    );
    const ms = performance.now() - t0;
    assert.equal(r.status, 200, r.text);
    const body = r.json as {
      downsampled: boolean;
      count: number;
      bucketMs: number;
      points: { ts: string; n: number; max?: { temp_c: number } }[];
      gaps: { from: string; to: string }[];
    };
    assert.equal(body.downsampled, true);
    assert.equal(body.count, 43_200 - 360);
    assert.ok(body.points.length <= 800, `${body.points.length} points`);
    assert.ok(body.points.length > 700);
    assert.equal(Math.max(...body.points.map((p) => p.max?.temp_c ?? 0)), 12.5);
    const iso = (ms: number) => new Date(ms).toISOString();
    assert.deepEqual(body.gaps, [{ from: iso(T0 + 14_399 * MIN), to: iso(T0 + 14_760 * MIN) }]);
    const inHole = body.points.filter(
      (p) => Date.parse(p.ts) >= T0 + 14_400 * MIN && Date.parse(p.ts) + body.bucketMs <= T0 + 14_760 * MIN,
    );
    assert.deepEqual(inHole, [], 'no point inside the hole');
    assert.ok(ms < 10_000, `${ms} ms`);
  });

  it('accepts ISO times, answers in ISO times, and returns raw samples when they fit', async () => {
    const from = new Date(T0).toISOString();
    const to = new Date(T0 + 10 * MIN).toISOString();
    const r = await call(`/api/v1/devices/probe-0202/readings?from=${from}&to=${to}&maxPoints=100`, {
      headers: sessionOf('auditor'),
    });
    assert.equal(r.status, 200, r.text);
    const body = r.json as {
      from: string;
      to: string;
      downsampled: boolean;
      points: { ts: string; n: number; values: { power: string } }[];
    };
    // The range and every point's time come back as ISO 8601 UTC, whatever form they were asked in.
    assert.deepEqual([body.from, body.to], [from, to]);
    assert.equal(body.points[0]?.ts, from);
    assert.equal(body.downsampled, false);
    assert.equal(body.points.length, 10);
    assert.ok(body.points.every((p) => p.n === 1 && p.values.power === 'mains'));
  });

  it('refuses an inverted or too long range', async () => {
    const inverted = await call(`/api/v1/devices/probe-0202/readings?from=${T0 + MIN}&to=${T0}`, {
      headers: sessionOf('viewer'),
    });
    assert.equal(inverted.status, 400);
    assert.equal(code(inverted), 'VIGIL_ERR_VALIDATION');
    const long = await call(`/api/v1/devices/probe-0202/readings?from=0&to=${T0}`, {
      headers: sessionOf('viewer'),
    });
    assert.equal(long.status, 400);
    assert.equal((long.json as { error: { path: string } }).error.path, 'query.to');
  });
});

describe('audit, system, openapi', () => {
  it('serves the audit log to auditors and admins only', async () => {
    const ok = await call('/api/v1/audit?limit=5', { headers: sessionOf('auditor') });
    assert.equal(ok.status, 200, ok.text);
    const body = ok.json as { entries: { id: number; hash: string }[]; more: boolean };
    assert.equal(body.entries.length, 5);
    assert.equal(body.more, true);
    assert.equal((await call('/api/v1/audit', { headers: sessionOf('admin') })).status, 200);
    const viewer = await call('/api/v1/audit', { headers: sessionOf('viewer') });
    assert.equal(viewer.status, 403);
    assert.equal(code(viewer), 'VIGIL_ERR_FORBIDDEN');
  });

  it('filters the audit log by action and time', async () => {
    const r = await call(
      `/api/v1/audit?action=device.add&since=${new Date(Date.now() - 3_600_000).toISOString()}`,
      {
        headers: sessionOf('auditor'),
      },
    );
    assert.equal(r.status, 200, r.text);
    const { entries } = r.json as { entries: { action: string }[] };
    assert.ok(entries.length >= 3);
    assert.ok(entries.every((e) => e.action === 'device.add'));
  });

  it('reports system status: broker listener, connections, ingest, storage and certificates', async () => {
    const r = await call('/api/v1/system', { headers: sessionOf('viewer') });
    assert.equal(r.status, 200, r.text);
    const s = r.json as {
      broker: { mode: string; listeners: { port: number }[]; connections: { devices: number } };
      ingest: { accepted: number };
      storage: { totalBytes: number; files: { name: string }[] };
      certificates: { server: { notAfter: number; daysLeft: number }; ca: { daysLeft: number } };
    };
    assert.equal(s.broker.mode, 'embedded');
    assert.equal(s.broker.listeners[0]?.port, inst.server.mqttPort);
    assert.ok(s.ingest.accepted >= 1);
    assert.ok(s.storage.totalBytes > 0);
    assert.ok(s.storage.files.some((f) => f.name === 'vigil.db'));
    assert.ok(s.certificates.server.daysLeft > 300);
    assert.ok(s.certificates.ca.daysLeft > 3000);
    assert.equal((await call('/api/v1/system', { headers: sessionOf('receiver') })).status, 403);
  });

  it('serves the OpenAPI document generated from the route schemas to signed-in users', async () => {
    const r = await call('/api/v1/openapi.json', { headers: sessionOf('viewer') });
    assert.equal(r.status, 200, r.text);
    const doc = r.json as {
      openapi: string;
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    };
    assert.match(doc.openapi, /^3\./);
    for (const p of [
      '/api/v1/devices',
      '/api/v1/devices/{id}',
      '/api/v1/devices/{id}/readings',
      '/api/v1/audit',
    ]) {
      assert.ok(doc.paths[p], p);
    }
    assert.ok(doc.paths['/api/v1/devices/{id}/disable']?.post);
    const params = doc.paths['/api/v1/devices/{id}/readings']?.get?.parameters?.map((x) => x.name) ?? [];
    assert.deepEqual(params.sort(), ['from', 'id', 'maxPoints', 'to']);
    assert.equal((await call('/api/v1/openapi.json')).status, 401);
  });
});

describe('/metrics', () => {
  it('needs a bearer token whose role may read metrics', async () => {
    assert.equal((await call('/metrics')).status, 401);
    // A signed-in browser session is not a scraper.
    assert.equal((await call('/metrics', { headers: sessionOf('admin') })).status, 401);
    const viewer = await call('/metrics', { headers: tokenOf('viewer') });
    assert.equal(viewer.status, 403);
  });

  it('returns Prometheus text with ingest, rejection, broker, latency, loop lag and certificate metrics', async () => {
    const b = await inst.addDevice('truck-0204');
    const client = await connectDevice(inst.url, b);
    await send(client, 'truck-0204', makeEnvelope(b, 'telemetry', { samples: [truckSample()] }, { seq: 1 }));
    const forged = makeEnvelope(b, 'telemetry', { samples: [truckSample()] }, { seq: 2 });
    forged.mac = Buffer.alloc(32).toString('base64url');
    await send(client, 'truck-0204', forged);
    await waitFor('rejection counted', () => (inst.server.rejections.totals().mac_invalid ?? 0) > 0);

    const r = await call('/metrics', { headers: tokenOf('admin') });
    assert.equal(r.status, 200, r.text);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const text = r.text;
    const value = (re: RegExp) => Number(re.exec(text)?.[1]);
    assert.ok(value(/^vigil_ingest_accepted_total (\d+)$/m) >= 2, text);
    assert.ok(value(/^vigil_rejections_total\{reason="mac_invalid"\} (\d+)$/m) >= 1, text);
    assert.ok(value(/^vigil_connected_devices (\d+)$/m) >= 1, text);
    assert.match(text, /^# TYPE vigil_store_commit_seconds histogram$/m);
    assert.ok(value(/^vigil_store_commit_seconds_count (\d+)$/m) >= 1, text);
    assert.match(text, /^vigil_store_commit_seconds_bucket\{le="\+Inf"\} \d+$/m);
    assert.match(text, /^vigil_event_loop_lag_seconds\{stat="p99"\} [\d.e-]+$/m);
    const serverExpiry = value(/^vigil_certificate_expiry_timestamp_seconds\{cert="server"\} (\d+)$/m);
    assert.ok(serverExpiry > Date.now() / 1000);
    assert.ok(value(/^vigil_certificate_days_left\{cert="ca"\} (\d+)$/m) > 3000);
    await closeClient(client);
  });
});
