/**
 * The HTTPS listener against connections that hold resources without doing anything: no TLS
 * handshake, no request, too many from one address; Fastify's own errors; TLS renegotiation on
 * both ports.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import type { DeviceBundleFiles } from '../src/sim/device-bundle.ts';
import { apiRequest } from './helpers/api-client.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';

const HANDSHAKE_MS = 1000;
const HEADERS_MS = 1500;
const PER_ADDRESS = 5;

/** Resolves with how long the socket stayed open, or rejects when it outlives `maxMs`. */
function lifetime(s: net.Socket, maxMs: number): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`still open after ${maxMs} ms`)), maxMs);
    s.once('close', () => {
      clearTimeout(t);
      resolve(Date.now() - t0);
    });
  });
}

function rawTcp(port: number, localAddress = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress });
    s.on('error', () => {});
    s.once('connect', () => resolve(s));
    s.once('close', () => reject(new Error('closed before connect')));
  });
}

/** Tries a TLS 1.2 renegotiation; resolves with what happened. */
function renegotiate(opts: tls.ConnectionOptions): Promise<'renegotiated' | 'refused'> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ ...opts, host: '127.0.0.1', servername: 'localhost', maxVersion: 'TLSv1.2' });
    s.once('error', () => resolve('refused'));
    s.once('close', () => resolve('refused'));
    s.once('secureConnect', () => {
      const started = s.renegotiate({}, (err) => {
        s.destroy();
        resolve(err ? 'refused' : 'renegotiated');
      });
      if (!started) reject(new Error('renegotiate() could not start'));
    });
    setTimeout(() => {
      s.destroy();
      resolve('refused');
    }, 5000).unref();
  });
}

describe('HTTPS listener bounds', { timeout: 60_000 }, () => {
  let inst: Instance;
  let port: number;
  let dev: DeviceBundleFiles;
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-https-'));

  before(async () => {
    inst = await startInstance({
      http: {
        handshakeTimeoutMs: HANDSHAKE_MS,
        headersTimeoutMs: HEADERS_MS,
        maxConnectionsPerAddress: PER_ADDRESS,
      },
    });
    port = inst.server.httpPort;
    dev = await inst.addDevice('reneg-0001');
  });
  after(async () => {
    await inst.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('closes a connection that sends no TLS ClientHello within http.handshakeTimeoutMs', async () => {
    const s = await rawTcp(port);
    const ms = await lifetime(s, HANDSHAKE_MS + 3000);
    assert.ok(ms >= HANDSHAKE_MS - 100, `closed after ${ms} ms`);
  });

  it('closes a TLS connection that sends no request within http.headersTimeoutMs', async () => {
    const s = tls.connect({ port, host: '127.0.0.1', ca: inst.ctx.ca.certPem, servername: 'localhost' });
    s.on('error', () => {});
    await new Promise((r) => s.once('secureConnect', r));
    const ms = await lifetime(s, HEADERS_MS + 3000);
    assert.ok(ms >= HEADERS_MS - 100, `closed after ${ms} ms`);
  });

  it('refuses connections above http.maxConnectionsPerAddress at accept, counts them, serves other addresses', async () => {
    const held = await Promise.all(Array.from({ length: PER_ADDRESS }, () => rawTcp(port, '127.0.0.2')));
    const before = inst.server.rejections.totals().address_connection_limit ?? 0;
    const extra = await rawTcp(port, '127.0.0.2');
    await lifetime(extra, 2000);
    await waitFor('counted', () => (inst.server.rejections.totals().address_connection_limit ?? 0) > before);
    const health = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, { path: '/healthz' });
    assert.equal(health.status, 200, 'another address is served meanwhile');
    for (const s of held) s.destroy();
  });

  it("answers a URL that does not decode through Vigil's error handler: headers, no echo, no framework name", async () => {
    for (const path of ['/%', '/api/v1/devices/%zz', '/%E0%A4%A']) {
      const s = tls.connect({ port, host: '127.0.0.1', ca: inst.ctx.ca.certPem, servername: 'localhost' });
      await new Promise((r) => s.once('secureConnect', r));
      s.write(`GET ${path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n`);
      let text = '';
      s.on('data', (d) => {
        text += d;
      });
      await new Promise((r) => s.once('close', r));
      const [head = '', body = ''] = text.split('\r\n\r\n');
      assert.match(head, /^HTTP\/1\.1 400 /, path);
      assert.match(head, /content-security-policy: /i);
      assert.match(head, /x-content-type-options: nosniff/i);
      assert.deepEqual(JSON.parse(body), {
        error: { code: 'VIGIL_ERR_BAD_REQUEST', message: 'bad request' },
      });
      assert.ok(!text.includes(path.slice(1)), 'the URL is not echoed');
      assert.doesNotMatch(text, /fastify|FST_/i);
    }
  });

  it('refuses TLS 1.2 client-initiated renegotiation on the HTTPS port (node renegotiate())', async () => {
    assert.equal(await renegotiate({ port, ca: inst.ctx.ca.certPem }), 'refused');
  });

  it('refuses TLS 1.2 client-initiated renegotiation on the MQTT port (node renegotiate())', async () => {
    const r = await renegotiate({ port: inst.server.mqttPort, ca: dev.ca, cert: dev.cert, key: dev.key });
    assert.equal(r, 'refused');
  });

  it('refuses renegotiation requested with openssl s_client -tls1_2 and the R command, on both ports', async () => {
    writeFileSync(join(tmp, 'ca.crt'), dev.ca);
    writeFileSync(join(tmp, 'dev.crt'), dev.cert);
    writeFileSync(join(tmp, 'dev.key'), dev.key);
    for (const [p, extra] of [
      [port, []],
      [inst.server.mqttPort, ['-cert', join(tmp, 'dev.crt'), '-key', join(tmp, 'dev.key')]],
    ] as const) {
      const out = await new Promise<string>((resolve) => {
        const child = spawn(
          'openssl',
          [
            's_client',
            '-connect',
            `127.0.0.1:${p}`,
            '-tls1_2',
            '-servername',
            'localhost',
            '-CAfile',
            join(tmp, 'ca.crt'),
            ...extra,
          ],
          { stdio: ['pipe', 'pipe', 'pipe'] },
        );
        let text = '';
        child.stdout.on('data', (d) => {
          text += d;
        });
        child.stderr.on('data', (d) => {
          text += d;
        });
        // Wait for the handshake, then ask for a renegotiation.
        const ask = setInterval(() => {
          if (text.includes('Verify return code')) {
            clearInterval(ask);
            child.stdin.write('R\n');
            setTimeout(() => child.stdin.end(), 1500);
          }
        }, 50);
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.on('close', () => {
          clearInterval(ask);
          clearTimeout(kill);
          resolve(text);
        });
      });
      assert.match(out, /RENEGOTIATING/, `port ${p}: the request was made`);
      assert.match(out, /no renegotiation|handshake failure|alert/i, `port ${p}: ${out.slice(-400)}`);
    }
  });
});
