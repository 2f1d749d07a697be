/**
 * Transport attacks and interop against a whole Vigil on loopback: TLS identity failures,
 * oversized and truncated MQTT packets, old TLS versions, and real Debian clients.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import type { MqttClient } from 'mqtt';
import { issueClientCert } from '../src/pki/index.ts';
import { makeTestPki } from '../src/pki/test-pki.fixture.ts';
import { serializeEnvelope } from '../src/protocol/envelope.ts';
import type { DeviceBundleFiles } from '../src/sim/device-bundle.ts';
import { assertStillServed, startWithDevice } from './helpers/connected-device.fixture.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  makeEnvelope,
  topic,
  truckSample,
  waitFor,
} from './helpers/instance.ts';

let inst: Instance;
let good: DeviceBundleFiles;
let goodClient: MqttClient;
let seq = 1;

const count = (label: string) => inst.server.rejections.totals()[label] ?? 0;
const totalRejected = () => Object.values(inst.server.rejections.totals()).reduce((a, b) => a + b, 0);

function stillServing(): Promise<void> {
  return assertStillServed({ inst, bundle: good }, goodClient, ++seq);
}

async function auditedReason(label: string): Promise<boolean> {
  await inst.server.rejections.flush();
  const audit = await inst.ctx.store.queryAudit({ limit: 100000 });
  return audit.some((a) => a.action.endsWith('.reject') && a.detail.reason === label);
}

/** Opens a raw mTLS socket as the good device (for hand-made MQTT bytes). */
function rawTls(): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port: inst.server.mqttPort,
      ca: good.ca,
      cert: good.cert,
      key: good.key,
      servername: 'localhost',
    });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

function closed(s: tls.TLSSocket, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
    s.on('error', () => {});
    s.resume();
  });
}

function runTool(
  cmd: string,
  args: string[],
  timeoutMs = 15_000,
): Promise<{ code: number | null; out: string }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: null, out: `${out}\n(timed out)` });
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('transport security end to end', () => {
  before(async () => {
    ({ inst, bundle: good, client: goodClient } = await startWithDevice('truck-good-11'));
  });
  after(async () => {
    await closeClient(goodClient).catch(() => {});
    await inst.destroy();
  });

  it('refuses a client without a certificate', async () => {
    const before = totalRejected();
    await assert.rejects(connectDevice(inst.url, { ...good, cert: '', key: '' }));
    await waitFor('counted', () => totalRejected() > before);
    await stillServing();
  });

  it('refuses a certificate from a rogue CA, counted and audited', async () => {
    const rogue = await (await makeTestPki()).rogueCa();
    const cert = await rogue.client(good.info.id);
    const before = totalRejected();
    await assert.rejects(connectDevice(inst.url, { ...good, cert: cert.certPem, key: cert.keyPkcs8Pem }));
    await waitFor('counted', () => totalRejected() > before);
    assert.ok((await inst.ctx.store.queryAudit({ limit: 100000 })).some((a) => a.action === 'broker.reject'));
    await stillServing();
  });

  it('refuses an expired certificate', async () => {
    const cert = await issueClientCert({
      ca: inst.ctx.ca,
      commonName: good.info.id,
      kind: 'device',
      validityDays: 1,
      now: new Date(Date.now() - 10 * 86_400_000),
    });
    const before = totalRejected();
    await assert.rejects(
      connectDevice(inst.url, { ...good, cert: cert.certPem, key: cert.keyPkcs8Pem ?? '' }),
    );
    await waitFor('counted', () => totalRejected() > before);
    await stillServing();
  });

  it('closes the socket on a 256 MiB remaining-length header without allocating it', async () => {
    const s = await rawTls();
    const rssBefore = process.memoryUsage().rss;
    const before = totalRejected();
    // A PUBLISH fixed header announcing 256 MiB - 1 of remaining length (the MQTT maximum).
    s.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
    assert.equal(await closed(s, 5000), true);
    assert.ok(process.memoryUsage().rss - rssBefore < 64 * 1024 * 1024, 'no 256 MiB buffer');
    await waitFor('counted', () => totalRejected() > before);
    assert.ok(count('packet_too_large') > 0);
    assert.ok(await auditedReason('packet_too_large'));
    await stillServing();
  });

  it('closes a connection that sends a truncated packet and goes silent', async () => {
    const s = await rawTls();
    // The first bytes of a CONNECT announcing 40 bytes, then nothing.
    s.write(Buffer.from([0x10, 40, 0x00, 0x04, 0x4d]));
    assert.equal(await closed(s, 10_000), true, 'closed by the CONNECT timeout');
    await stillServing();
  });

  it('accepts an envelope published by mosquitto_pub with a device bundle', async (t) => {
    if (spawnSync('mosquitto_pub', ['--help']).error) {
      t.skip('skipped: mosquitto_pub not installed (apt-get install mosquitto-clients)');
      return;
    }
    const b = await inst.addDevice('truck-mosq-12');
    const env = makeEnvelope(b, 'telemetry', { samples: [truckSample(Date.now(), 3.75)] }, { seq: 42 });
    // Async: the broker under test runs in this process, so a blocking spawn would deadlock it.
    const r = await runTool('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(inst.server.mqttPort),
      '--cafile',
      join(b.dir, 'ca.crt'),
      '--cert',
      join(b.dir, 'device.crt'),
      '--key',
      join(b.dir, 'device.key'),
      '-i',
      b.info.id,
      '-q',
      '1',
      '-t',
      topic(b.info.id, 'telemetry'),
      '-m',
      serializeEnvelope(env),
    ]);
    assert.equal(r.code, 0, r.out);
    const rows = await waitFor('reading stored', async () => {
      const rows = await inst.ctx.store.queryReadings({ deviceId: b.info.id, since: 0 });
      return rows.length > 0 ? rows : undefined;
    });
    assert.equal(rows[0]?.data.temp_c, 3.75);
  });

  it('refuses TLS 1.1 (openssl s_client -tls1_1)', async (t) => {
    const { code, out } = await runTool(
      'openssl',
      [
        's_client',
        '-connect',
        `127.0.0.1:${inst.server.mqttPort}`,
        '-tls1_1',
        '-CAfile',
        join(good.dir, 'ca.crt'),
      ],
      10_000,
    );
    if (code === null) t.diagnostic('openssl did not exit in 10 s');
    assert.notEqual(code, 0, out);
    assert.match(out, /alert protocol version|unsupported protocol|no protocols available/i);
    assert.match(out, /Cipher is \(NONE\)/);
    await stillServing();
  });
});
