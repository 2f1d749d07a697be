/**
 * The firmware download listener under a connection flood (docs/ota.md §4): sockets past
 * `ota.maxConnectionsPerAddress` and `ota.maxConnections` are closed at once, before any TLS
 * work, and counted; the dashboard's HTTPS and the MQTT broker keep serving meanwhile; once the
 * flood ends a device downloads again.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { request } from 'node:https';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { publicKeyText } from '../src/ota/firmware-manifest.ts';
import type { DeviceBundleFiles } from '../src/sim/device-bundle.ts';
import { apiRequest } from './helpers/api-client.ts';
import { closeClient, connectDevice, type Instance, startInstance, waitFor } from './helpers/instance.ts';
import { uploadSigned } from './helpers/signed-firmware.ts';

const signer = generateKeyPairSync('ed25519');
let inst: Instance;
let bundle: DeviceBundleFiles;
const sockets: net.Socket[] = [];

/** A raw TCP connection that sends nothing; resolves `closed` once the server closed it. */
function idle(port: number, localAddress: string) {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  sockets.push(socket);
  socket.on('error', () => {});
  socket.resume();
  const closed = new Promise<true>((r) => socket.once('close', () => r(true)));
  const opened = new Promise<void>((r) => socket.once('connect', () => r()));
  return { socket, closed, opened };
}

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<false>((r) => setTimeout(() => r(false), ms).unref())]);

function download(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `https://127.0.0.1:${port}/firmware/2.2.2`,
      // No keep-alive: each download is one connection, closed after it.
      { ca: bundle.ca, cert: bundle.cert, key: bundle.key, method: 'HEAD', agent: false },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  inst = await startInstance({
    ota: { trustedKeys: [publicKeyText(signer.publicKey)], maxConnections: 3, maxConnectionsPerAddress: 2 },
  });
  bundle = await inst.addDevice('probe-flood-0001', 'temperature-probe');
  const img = randomBytes(4096);
  await uploadSigned(inst, signer.privateKey, img, '2.2.2');
});
after(async () => {
  for (const s of sockets) s.destroy();
  await inst.destroy();
});

describe('firmware listener flood', () => {
  it('closes sockets past the per-address and global caps at once, and the other listeners keep serving', async () => {
    const port = inst.server.otaPort as number;
    assert.equal(await download(port), 200, 'before the flood');
    const a = [idle(port, '127.0.0.1'), idle(port, '127.0.0.1')];
    await Promise.all(a.map((s) => s.opened));
    const thirdFromA = idle(port, '127.0.0.1');
    assert.equal(await within(thirdFromA.closed, 3000), true, 'past the per-address cap: closed at once');
    const b = idle(port, '127.0.0.2');
    await b.opened;
    const fourth = idle(port, '127.0.0.3');
    assert.equal(await within(fourth.closed, 3000), true, 'past the global cap: closed at once');
    for (const s of [...a, b]) assert.equal(s.socket.destroyed, false, 'the admitted ones are held');
    const totals = inst.server.rejections.totals();
    assert.equal(totals.address_connection_limit, 1, JSON.stringify(totals));
    assert.equal(totals.connection_limit, 1, JSON.stringify(totals));
    await waitFor('refusals audited as the firmware listener', async () =>
      (await inst.ctx.store.queryAudit({ action: 'firmware.reject' })).length >= 1 ? true : undefined,
    );
    // Meanwhile: the API answers, a device connects to the broker.
    const health = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, { path: '/healthz', method: 'GET' });
    assert.equal(health.status, 200);
    const c = await connectDevice(inst.url, bundle);
    await closeClient(c);
    // The flood ends: downloads work again.
    for (const s of [...a, b]) s.socket.destroy();
    await waitFor(
      'download after the flood',
      async () => (await download(port).catch(() => 0)) === 200,
      10_000,
    );
  });
});
