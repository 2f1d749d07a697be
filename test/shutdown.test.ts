/**
 * SIGTERM to a real `vigil start`: it stops within `shutdownTimeoutMs` whatever clients hold
 * open (idle sockets, a live-feed WebSocket, devices in mid-stream, a request that never ends),
 * exits 0 after a clean drain and 1 after a forced one, and every acknowledged reading is stored.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import tls from 'node:tls';
import type { MqttClient } from 'mqtt';
import { WebSocket } from 'ws';
import { openContext } from '../src/data-dir/context.ts';
import { addDevice } from '../src/devices/device-service.ts';
import { serializeEnvelope } from '../src/protocol/envelope.ts';
import { type DeviceBundleFiles, readDeviceBundle } from '../src/sim/device-bundle.ts';
import { firstSignIn } from './helpers/browser.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  MASTER_KEY_HEX,
  makeEnvelope,
  topic,
  truckSample,
} from './helpers/instance.ts';

const root = new URL('..', import.meta.url).pathname;
const env = { ...process.env, VIGIL_MASTER_KEY: MASTER_KEY_HEX, VIGIL_LOG_LEVEL: 'info' };

interface Vigil {
  child: ChildProcess;
  mqttPort: number;
  httpPort: number;
  stdout: string;
  output: () => string;
}

function startVigil(dataDir: string): Promise<Vigil> {
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin/vigil'),
      'start',
      '--data-dir',
      dataDir,
      '--mqtt-port',
      '0',
      '--http-port',
      '0',
      '--ota-port',
      '0',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`vigil did not start: ${out}${err}`)), 60_000);
    const check = () => {
      if (!out.includes('press Ctrl-C')) return;
      clearTimeout(t);
      child.stdout?.off('data', check);
      const mqttPort = Number(/mqtts:\/\/localhost:(\d+)/.exec(out)?.[1]);
      const httpPort = Number(/https:\/\/localhost:(\d+)\//.exec(out)?.[1]);
      resolve({ child, mqttPort, httpPort, stdout: out, output: () => out + err });
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => reject(new Error(`vigil exited ${code}: ${out}${err}`)));
  });
}

/** Sends SIGTERM; resolves with the exit code and the time it took. */
function terminate(v: Vigil): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    v.child.once('exit', (code) => resolve({ code, ms: Date.now() - t0 }));
    v.child.kill('SIGTERM');
  });
}

function idleTcp(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.once('connect', () => resolve(s));
    s.once('close', () => reject(new Error('closed')));
  });
}

function idleTls(port: number, ca: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost' });
    s.on('error', () => {});
    s.once('secureConnect', () => resolve(s));
    s.once('close', () => reject(new Error('closed')));
  });
}

async function provision(dataDir: string, ids: string[], config: object): Promise<DeviceBundleFiles[]> {
  writeFileSync(join(dataDir, 'config.json'), JSON.stringify(config));
  const ctx = await openContext({ dataDir, env, logLevel: 'silent', create: true });
  try {
    const out: DeviceBundleFiles[] = [];
    for (const id of ids) {
      out.push(
        readDeviceBundle((await addDevice(ctx, { id, profile: 'vaccine-transport', actor: 'test' })).dir),
      );
    }
    return out;
  } finally {
    await ctx.close();
  }
}

describe('shutdown of vigil start', { timeout: 180_000 }, () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const sockets: net.Socket[] = [];
  after(() => {
    for (const c of children) c.kill('SIGKILL');
    for (const s of sockets) s.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('drains and exits 0 within shutdownTimeoutMs with 50 idle sockets, a live WebSocket and 10 publishing devices; every acknowledged reading is stored', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-stop-'));
    dirs.push(dataDir);
    const ids = Array.from({ length: 10 }, (_, i) => `stop-dev-${String(i).padStart(2, '0')}`);
    const bundles = await provision(dataDir, ids, {});
    const v = await startVigil(dataDir);
    children.push(v.child);
    const ca = readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8');
    const httpUrl = `https://127.0.0.1:${v.httpPort}`;

    // A signed-in dashboard with its live feed open.
    const otp = /one-time password (\S+)/.exec(v.stdout)?.[1];
    assert.ok(otp, 'the first start printed the admin one-time password');
    const fakeInstance = { httpUrl, ctx: { ca: { certPem: ca } } } as unknown as Instance;
    const admin = await firstSignIn(fakeInstance, 'admin', 'admin', otp);
    const ws = new WebSocket(`wss://127.0.0.1:${v.httpPort}/api/v1/live`, {
      ca,
      headers: { cookie: admin.browser.cookieHeader.cookie ?? '', origin: httpUrl },
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const wsClosed = new Promise<number>((r) => ws.once('close', (code) => r(code)));

    // 50 idle HTTPS sockets: half without a TLS handshake, half with one but no request.
    for (let i = 0; i < 25; i++) sockets.push(await idleTcp(v.httpPort));
    for (let i = 0; i < 25; i++) sockets.push(await idleTls(v.httpPort, ca));

    // 10 devices publishing QoS 1 as fast as PUBACKs come back.
    const url = `mqtts://127.0.0.1:${v.mqttPort}`;
    const acked = new Map<string, Set<number>>(ids.map((id) => [id, new Set()]));
    const clients: MqttClient[] = [];
    let stop = false;
    const pumps = bundles.map(async (b) => {
      const client = await connectDevice(url, b);
      clients.push(client);
      // A failed publish means the connection is gone: stop there. Publishing on into a closed
      // client fails at once, without yielding to the event loop, and would delay this test's
      // own view of the server's exit.
      let closed = false;
      for (let seq = 1; seq <= 5000 && !stop && !closed && client.connected; seq++) {
        const env = makeEnvelope(b, 'telemetry', { samples: [truckSample()] }, { seq });
        await new Promise<void>((resolve) => {
          client.publish(topic(b.info.id, 'telemetry'), serializeEnvelope(env), { qos: 1 }, (err) => {
            if (err) closed = true;
            else acked.get(b.info.id)?.add(seq);
            resolve();
          });
          client.once('close', () => resolve());
        });
      }
    });
    // Stop only once the devices are being acknowledged (connecting 10 can take a while under load).
    const ackedSoFar = () => [...acked.values()].reduce((n, s) => n + s.size, 0);
    for (let i = 0; i < 600 && ackedSoFar() < 50; i++) await new Promise((r) => setTimeout(r, 50));
    const ackedBefore = ackedSoFar();
    assert.ok(ackedBefore > 0, 'devices were acknowledged before the stop');

    const { code, ms } = await terminate(v);
    stop = true;
    await Promise.all(pumps);
    for (const c of clients) await closeClient(c);
    assert.equal(code, 0, `clean drain exits 0: ${v.output().slice(-2000)}`);
    assert.ok(ms < 10_000, `exited ${ms} ms after SIGTERM (deadline 10000 ms)`);
    assert.match(v.output(), /shutdown complete: clean drain/);
    assert.match(v.output(), /^stopped$/m);
    assert.equal(await wsClosed, 1001, 'the live feed was told the server is going away');

    const ctx = await openContext({ dataDir, env, logLevel: 'silent' });
    try {
      for (const [id, seqs] of acked) {
        const rows = await ctx.store.queryReadings({ deviceId: id, since: 0, limit: 100_000 });
        const stored = new Set(rows.map((r) => r.seq));
        for (const s of seqs) assert.ok(stored.has(s), `${id}: acknowledged seq ${s} is stored`);
      }
    } finally {
      await ctx.close();
    }
  });

  it('destroys what is still open at shutdownTimeoutMs, exits 1 and says so', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-stop-'));
    dirs.push(dataDir);
    await provision(dataDir, [], { shutdownTimeoutMs: 3000 });
    const v = await startVigil(dataDir);
    children.push(v.child);
    const ca = readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8');
    // A request that never finishes: headers announce a body that trickles and stops.
    const slow = await idleTls(v.httpPort, ca);
    sockets.push(slow);
    slow.write(
      'POST /api/v1/auth/login HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"user',
    );
    await new Promise((r) => setTimeout(r, 300));
    const closed = new Promise<void>((r) => slow.once('close', () => r()));
    slow.resume(); // read, so the end of the connection is seen
    const { code, ms } = await terminate(v);
    await closed;
    assert.equal(code, 1, `forced shutdown exits 1: ${v.output().slice(-2000)}`);
    assert.ok(ms < 3000 + 1000, `exited ${ms} ms after SIGTERM (deadline 3000 ms)`);
    assert.match(v.output(), /shutdown forced at the deadline/);
    assert.match(v.output(), /stopped: forced after 3000 ms \(https\)/);
  });
});
