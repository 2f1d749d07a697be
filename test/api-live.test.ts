/**
 * The live feed over real WSS on the API port: readings published by a device over MQTT reach a
 * signed-in dashboard, each role gets only what it may read, the handshake is refused without a
 * session or from a foreign Origin, sessions are re-checked, and a slow consumer is dropped while
 * ingest goes on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { LiveFrameData } from '../src/api/ports.ts';
import { SESSION_COOKIE } from '../src/auth/sessions.ts';
import { type Browser, type EnrolledUser, enrolledUser, passwordOnly } from './helpers/browser.ts';
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
import { LiveFeedClient } from './helpers/live-feed.ts';

let inst: Instance;
let operator: EnrolledUser;
let receiver: EnrolledUser;
let admin: EnrolledUser;

/** A feed client on this test's instance. */
class Feed extends LiveFeedClient {
  constructor(headers: Record<string, string>, origin: string | null = inst.httpUrl) {
    super(inst, headers, origin);
  }
}

const cookie = (b: Browser) => ({ cookie: `${SESSION_COOKIE}=${b.token}` });

before(async () => {
  inst = await startInstance({}, undefined, {
    webRoot: '/nonexistent-vigil-web',
    live: { sampleMs: 200, recheckMs: 300 },
  });
  admin = await enrolledUser(inst, 'ada', 'admin');
  operator = await enrolledUser(inst, 'otto', 'operator');
  receiver = await enrolledUser(inst, 'rita', 'receiver');
});

after(async () => {
  await inst?.destroy();
});

describe('live feed', () => {
  it('pushes a reading published by a device over MQTT to a signed-in operator within seconds', async () => {
    const feed = new Feed(cookie(operator.browser));
    await feed.opened;
    const b = await inst.addDevice('truck-0701');
    const client = await connectDevice(inst.url, b);
    const t0 = Date.now();
    await send(
      client,
      'truck-0701',
      makeEnvelope(b, 'telemetry', { samples: [truckSample(t0, 5.5)] }, { seq: 1 }),
    );
    const msg = await waitFor(
      'reading on the feed',
      () => feed.of('reading').find((m) => m.data.deviceId === 'truck-0701'),
      5000,
    );
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(msg.data.ts, new Date(t0).toISOString());
    assert.equal(msg.data.backfill, false);
    assert.equal((msg.data.data as { temp_c: number }).temp_c, 5.5);
    await waitFor('system status', () => feed.of('system').length > 0);
    await closeClient(client);
    feed.ws.close();
  });

  it('gives each role only what it may read: a receiver gets readings and alarms, never system status', async () => {
    const op = new Feed(cookie(operator.browser));
    const rx = new Feed(cookie(receiver.browser));
    await Promise.all([op.opened, rx.opened]);
    await inst.server.alarms.open(
      {
        rule: 'heat',
        subject: 'truck-0701',
        startedAt: 1,
        raisedAt: 2,
        severity: 'critical',
        message: 'hot',
      },
      Date.now(),
    );
    await waitFor('alarm to both', () => op.of('alarm').length > 0 && rx.of('alarm').length > 0);
    assert.equal(rx.of('alarm')[0]?.data.subject, 'truck-0701');
    await waitFor('system status to the operator', () => op.of('system').length >= 2);
    assert.equal(rx.of('system').length, 0, 'receiver has no system.read');
    // A device change (disable) is pushed to both (devices.read).
    await inst.ctx.store.setDeviceStatus('truck-0701', 'disabled', Date.now());
    await waitFor('device change', () => rx.of('device').some((m) => m.data.status === 'disabled'));
    await inst.ctx.store.setDeviceStatus('truck-0701', 'enabled', Date.now());
    op.ws.close();
    rx.ws.close();
  });

  it('refuses the handshake without a session (401), half-signed-in (403) or from a foreign Origin (403)', async () => {
    await assert.rejects(new Feed({}).opened, { status: 401 });
    const half = await passwordOnly(inst, 'otto', operator.password);
    await assert.rejects(new Feed(cookie(half)).opened, { status: 403 });
    await assert.rejects(new Feed(cookie(operator.browser), 'https://evil.example').opened, { status: 403 });
    await assert.rejects(new Feed(cookie(operator.browser), null).opened, { status: 403 });
    await assert.rejects(new Feed({ cookie: `${SESSION_COOKIE}=${'x'.repeat(43)}` }).opened, { status: 401 });
    assert.ok(inst.server.live.stats.refused >= 5);
  });

  it('closes the socket (4401) once the session is ended by an admin', async () => {
    const feed = new Feed(cookie(receiver.browser));
    await feed.opened;
    const r = await admin.browser.call('/api/v1/users/rita/sessions', { method: 'DELETE' });
    assert.equal(r.status, 200, r.text);
    assert.equal(await feed.closed, 4401);
  });

  it('drops a client that stops reading (1013) while ingest goes on and every message is stored', async () => {
    const slow = new Feed(cookie(operator.browser));
    const fast = new Feed(cookie(admin.browser));
    await Promise.all([slow.opened, fast.opened]);
    slow.ws.pause(); // the browser tab froze: nothing is read from the socket any more
    const b = await inst.addDevice('truck-0702');
    const client = await connectDevice(inst.url, b);
    const before = inst.server.live.stats.dropped;
    // Large frames on the bus fill the kernel's socket buffers quickly; readings flow meanwhile.
    // Not a real status: only its size matters here.
    const filler = { blob: 'x'.repeat(256 * 1024) } as unknown as LiveFrameData['system'];
    const N = 150; // within the broker's per-device publish burst

    const t0 = Date.now();
    for (let i = 1; i <= N; i++) {
      if (i % 3 === 0) inst.server.live.bus.publish('system', filler);
      await send(
        client,
        'truck-0702',
        makeEnvelope(b, 'telemetry', { samples: [truckSample(t0 - (N - i) * 1000)] }, { seq: i }),
      );
    }
    await waitFor('all stored', async () => (await inst.ctx.store.countReadings('truck-0702')) === N, 20_000);
    await waitFor('slow client dropped', () => inst.server.live.stats.dropped > before, 10_000);
    slow.ws.resume();
    // 1013 when the close frame gets through behind the backlog; 1006 when the server had to cut
    // the connection first (it waits 1 s for the close handshake).
    assert.ok([1013, 1006].includes(await slow.closed), String(slow.closeCode));
    assert.ok(inst.server.live.stats.dropped >= 1);
    // The reader that keeps up got every reading and is still connected.
    await waitFor(
      'fast client has all',
      () => fast.of('reading').filter((m) => m.data.deviceId === 'truck-0702').length === N,
    );
    assert.equal(fast.ws.readyState, WebSocket.OPEN);
    const counters = await inst.ctx.store.getCounters();
    assert.ok((counters.live_clients_dropped_slow ?? 0) >= 1);
    await closeClient(client);
    fast.ws.close();
  });
});
