/**
 * HTTPS connection exhaustion: 3,000 idle sockets from 20 loopback addresses, held for 30 s
 * against the default limits. Meanwhile /healthz answers, a signed-in user loads a page and a
 * device connects and gets its PUBACK; every idle socket is closed by the server within
 * `http.handshakeTimeoutMs` (refused ones at once).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { apiRequest } from './helpers/api-client.ts';
import { type EnrolledUser, enrolledUser } from './helpers/browser.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  makeEnvelope,
  send,
  startInstance,
  truckSample,
} from './helpers/instance.ts';

const SOCKETS = 3000;
const ADDRESSES = 20;
const HOLD_MS = 30_000;
/** The default `http.handshakeTimeoutMs`. */
const HANDSHAKE_MS = 10_000;
/** Scheduling slack on a loaded 2-core machine. */
const SLACK_MS = 5_000;

interface Idle {
  socket: net.Socket;
  openedAt: number;
  closedAt?: number;
}

function openIdle(port: number, localAddress: string): Promise<Idle> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    const idle: Idle = { socket, openedAt: Date.now() };
    socket.on('error', () => {});
    socket.resume(); // read, so the server's FIN is seen
    socket.once('close', () => {
      idle.closedAt = Date.now();
      resolve(idle);
    });
    socket.once('connect', () => {
      idle.openedAt = Date.now();
      resolve(idle);
    });
  });
}

describe('HTTPS connection exhaustion', { timeout: 150_000 }, () => {
  let inst: Instance;
  let user: EnrolledUser;
  const idle: Idle[] = [];

  before(async () => {
    inst = await startInstance();
    user = await enrolledUser(inst, 'flood-viewer', 'viewer');
  });
  after(async () => {
    for (const i of idle) i.socket.destroy();
    await inst.destroy();
  });

  it('serves health, a signed-in user and a device while 3,000 idle sockets are held, and closes every one', async () => {
    const bundle = await inst.addDevice('flood-dev-01');
    let seq = 0;
    const stillServing = async (when: string) => {
      const health = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, { path: '/healthz' });
      assert.equal(health.status, 200, `${when}: /healthz`);
      const page = await user.browser.call('/');
      assert.equal(page.status, 200, `${when}: dashboard page ${page.status} ${page.text.slice(0, 200)}`);
      assert.match(page.text, /<html/i);
      const devices = await user.browser.call('/api/v1/devices');
      assert.equal(devices.status, 200, `${when}: the page's data`);
      const client = await connectDevice(inst.url, bundle);
      try {
        await send(
          client,
          bundle.info.id,
          makeEnvelope(bundle, 'telemetry', { samples: [truckSample()] }, { seq: ++seq }),
        );
      } finally {
        await closeClient(client);
      }
    };

    // 150 sockets from each of 20 addresses, opened in batches (the listen backlog is finite).
    const t0 = Date.now();
    for (let batch = 0; batch < SOCKETS / 200; batch++) {
      const opened = await Promise.all(
        Array.from({ length: 200 }, (_, k) => {
          const n = batch * 200 + k;
          return openIdle(inst.server.httpPort, `127.0.1.${(n % ADDRESSES) + 1}`);
        }),
      );
      idle.push(...opened);
    }
    assert.equal(idle.length, SOCKETS);

    // During the hold: while the admitted sockets still wait for their handshake timeout...
    await stillServing('at the start of the hold');
    await new Promise((r) => setTimeout(r, 3000));
    await stillServing('3 s into the hold');
    // ...and after it, until the hold ends.
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + HANDSHAKE_MS + SLACK_MS - Date.now())));
    await stillServing('after the handshake timeout');
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + HOLD_MS - Date.now())));

    const open = idle.filter((i) => i.closedAt === undefined);
    assert.equal(open.length, 0, `${open.length} idle sockets still open after ${HOLD_MS} ms`);
    const lifetimes = idle.map((i) => (i.closedAt ?? Date.now()) - i.openedAt);
    const longest = Math.max(...lifetimes);
    assert.ok(longest <= HANDSHAKE_MS + SLACK_MS, `the longest-lived idle socket lived ${longest} ms`);
    // The caps did their part: at most 64 per address were admitted, the rest refused at once.
    const refusedAtOnce = lifetimes.filter((ms) => ms < HANDSHAKE_MS / 2).length;
    assert.ok(refusedAtOnce >= SOCKETS - ADDRESSES * 64, `${refusedAtOnce} refused at accept`);
    assert.ok((inst.server.rejections.totals().address_connection_limit ?? 0) >= SOCKETS - ADDRESSES * 64);
    await stillServing('after the hold');
  });
});
