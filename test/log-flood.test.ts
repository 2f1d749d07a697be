/**
 * An attacker who makes Vigil log (TLS connect-and-reset from many addresses, refused envelopes
 * from a valid device) cannot make it write more than a bounded number of bytes per interval.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import type { MqttClient } from 'mqtt';
import { serializeEnvelope } from '../src/protocol/envelope.ts';
import type { DeviceBundleFiles } from '../src/sim/device-bundle.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  makeEnvelope,
  publish,
  startInstance,
  topic,
  truckSample,
} from './helpers/instance.ts';

const LOG = { summaryIntervalMs: 1000, summaryBurst: 2, summaryMaxKeys: 10, maxLineBytes: 1024 };
/** Bytes one interval may add: burst lines per key, one summary per key, one overflow line. */
const PER_INTERVAL = (LOG.summaryMaxKeys * (LOG.summaryBurst + 1) + 1) * LOG.maxLineBytes;

function logBytes(dir: string): number {
  return readdirSync(dir)
    .filter((f) => f.startsWith('vigil.log'))
    .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/** A TLS ClientHello without a client certificate, then a reset: one refused handshake each. */
function connectAndReset(port: number, localAddress: string): Promise<void> {
  return new Promise((resolve) => {
    const raw = net.connect({ port, host: '127.0.0.1', localAddress });
    raw.on('error', () => {});
    const s = tls.connect({ socket: raw, rejectUnauthorized: false });
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      if (!raw.destroyed) raw.resetAndDestroy();
      s.destroy();
      resolve();
    };
    s.on('error', done);
    s.on('close', done);
    s.on('secureConnect', () => setTimeout(done, 5));
    setTimeout(done, 2000);
  });
}

describe('log volume under a flood', { timeout: 90_000 }, () => {
  let inst: Instance;
  let device: MqttClient;
  let bundle: DeviceBundleFiles;
  const previous = process.env.VIGIL_TEST_LOG;

  before(async () => {
    process.env.VIGIL_TEST_LOG = 'info';
    inst = await startInstance({
      log: { file: 'vigil.log', ...LOG },
      mqtt: { publishRatePerSec: 100_000, publishBurst: 100_000, maxConnectionsPerAddress: 1000 },
    });
    bundle = await inst.addDevice('logflood-01');
    device = await connectDevice(inst.url, bundle);
  });
  after(async () => {
    if (previous === undefined) delete process.env.VIGIL_TEST_LOG;
    else process.env.VIGIL_TEST_LOG = previous;
    await closeClient(device).catch(() => {});
    await inst.destroy();
  });

  it('writes at most the summarised bound per interval while every refusal is still counted', async () => {
    const rejectedBefore = Object.values(inst.server.rejections.totals()).reduce((a, n) => a + n, 0);
    const bytes0 = logBytes(inst.dataDir);
    const t0 = Date.now();
    let handshakes = 0;
    let envelopes = 0;
    const until = t0 + 4000;
    const flooders = Array.from({ length: 40 }, async (_, i) => {
      const addr = `127.0.${1 + (i >> 4)}.${(i & 15) + 1}`;
      while (Date.now() < until) {
        await connectAndReset(inst.server.mqttPort, addr);
        handshakes++;
        const raw = net.connect({ port: inst.server.httpPort, host: '127.0.0.1', localAddress: addr });
        raw.on('error', () => {});
        raw.on('connect', () => raw.resetAndDestroy());
      }
    });
    // Refused envelopes (a wrong MAC) from a valid device, as fast as PUBACKs come back.
    const badMac = (async () => {
      const inFlight = new Set<Promise<void>>();
      for (let seq = 1; Date.now() < until; seq++) {
        const env = makeEnvelope(bundle, 'telemetry', { samples: [truckSample()] }, { seq });
        const forged = { ...env, mac: env.mac.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) };
        const p = publish(device, topic('logflood-01', 'telemetry'), serializeEnvelope(forged)).then(() => {
          envelopes++;
          inFlight.delete(p);
        });
        inFlight.add(p);
        if (inFlight.size >= 100) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    })();
    await Promise.all([...flooders, badMac]);
    const elapsed = Date.now() - t0;
    await new Promise((r) => setTimeout(r, LOG.summaryIntervalMs + 200)); // the last summaries
    const grown = logBytes(inst.dataDir) - bytes0;
    const intervals = Math.ceil((elapsed + LOG.summaryIntervalMs + 200) / LOG.summaryIntervalMs) + 1;
    const rejected =
      Object.values(inst.server.rejections.totals()).reduce((a, n) => a + n, 0) - rejectedBefore;
    assert.ok(
      handshakes > 50 && envelopes > 1000,
      `flood too small: ${handshakes} handshakes, ${envelopes} envelopes`,
    );
    assert.ok(rejected >= handshakes + envelopes - 50, `every refusal counted (${rejected})`);
    assert.ok(
      grown <= intervals * PER_INTERVAL,
      `log grew ${grown} bytes in ${elapsed} ms; bound ${intervals} × ${PER_INTERVAL}`,
    );
  });
});
