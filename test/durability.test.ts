/**
 * A reading acknowledged to the device is durable: kill -9 the server in the middle of a QoS 1
 * stream, restart it, and every acknowledged reading is stored exactly once; redelivering the
 * unacknowledged ones (as a device does) creates no duplicate either.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openContext } from '../src/data-dir/context.ts';
import { addDevice } from '../src/devices/device-service.ts';
import { type Envelope, serializeEnvelope } from '../src/protocol/envelope.ts';
import { readDeviceBundle } from '../src/sim/device-bundle.ts';
import {
  closeClient,
  connectDevice,
  MASTER_KEY_HEX,
  makeEnvelope,
  topic,
  truckSample,
  waitFor,
} from './helpers/instance.ts';

const root = new URL('..', import.meta.url).pathname;
const env = { ...process.env, VIGIL_MASTER_KEY: MASTER_KEY_HEX, VIGIL_LOG_LEVEL: 'warn' };

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let childOutput = '';

function startVigil(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin/vigil'),
      'start',
      '--data-dir',
      dataDir,
      '--mqtt-port',
      String(port),
      '--http-port',
      '0',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`vigil did not start: ${out}`)), 30_000);
    child.stdout?.on('data', (d) => {
      out += d;
      if (out.includes('press Ctrl-C')) {
        clearTimeout(t);
        resolve(child);
      }
    });
    child.stderr?.on('data', (d) => {
      out += d;
      childOutput += d;
    });
    child.on('exit', (code) => reject(new Error(`vigil exited ${code}: ${out}`)));
  });
}

describe('durability', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-dur-'));
  let child: ChildProcess | undefined;
  after(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged reading exactly once across kill -9', async () => {
    // A fast stream: lift the per-client publish rate limit for this test.
    writeFileSync(
      join(dataDir, 'config.json'),
      JSON.stringify({ mqtt: { publishRatePerSec: 100000, publishBurst: 100000 } }),
    );
    const ctx = await openContext({ dataDir, env, logLevel: 'silent', create: true });
    const bundle = readDeviceBundle(
      (await addDevice(ctx, { id: 'truck-dur-01', profile: 'vaccine-transport', actor: 'test' })).dir,
    );
    await ctx.close();
    const port = await freePort();
    child = await startVigil(dataDir, port);
    const url = `mqtts://127.0.0.1:${port}`;
    const client = await connectDevice(url, bundle);

    const sent = new Map<number, Envelope>();
    const acked = new Set<number>();
    let seq = 0;
    let killed = false;
    // A bounded stream: at most 5000 messages or 20 s, killed after the 300th acknowledgement.
    const deadline = Date.now() + 20_000;
    while (!killed && seq < 5000 && Date.now() < deadline && client.connected) {
      const s = ++seq;
      const env = makeEnvelope(
        bundle,
        'telemetry',
        { samples: [truckSample(Date.now(), 4 + (s % 10) / 10)] },
        { seq: s },
      );
      sent.set(s, env);
      client.publish(topic(bundle.info.id, 'telemetry'), serializeEnvelope(env), { qos: 1 }, (err) => {
        if (!err) acked.add(s);
      });
      if (s % 20 === 0) await new Promise((r) => setImmediate(r));
      if (acked.size >= 300 && !killed) {
        child.kill('SIGKILL');
        killed = true;
      }
    }
    assert.ok(
      killed,
      `killed mid-stream (acked ${acked.size}, connected ${client.connected}): ${childOutput.slice(-2000)}`,
    );
    const ackedAtKill = new Set(acked);
    await new Promise((r) => child?.once('exit', r));
    await closeClient(client);

    child = await startVigil(dataDir, port);
    const check = await openContext({ dataDir, env, logLevel: 'silent' });
    try {
      const rows = await check.store.queryReadings({ deviceId: 'truck-dur-01', since: 0, limit: 100_000 });
      const seqs = rows.map((r) => r.seq);
      assert.equal(new Set(seqs).size, seqs.length, 'no duplicates');
      for (const s of ackedAtKill) assert.ok(seqs.includes(s), `acknowledged seq ${s} is stored`);

      // The device redelivers everything it has no PUBACK for; nothing is duplicated.
      const again = await connectDevice(url, bundle);
      const unacked = [...sent.keys()].filter((s) => !ackedAtKill.has(s));
      for (const s of unacked) {
        await new Promise<void>((resolve, reject) =>
          again.publish(
            topic(bundle.info.id, 'telemetry'),
            serializeEnvelope(sent.get(s) as Envelope),
            { qos: 1 },
            (e) => (e ? reject(e) : resolve()),
          ),
        );
      }
      await closeClient(again);
      const final = await waitFor('all redelivered readings stored', async () => {
        const r = await check.store.queryReadings({ deviceId: 'truck-dur-01', since: 0, limit: 100_000 });
        return r.length === sent.size ? r : undefined;
      });
      assert.equal(new Set(final.map((r) => r.seq)).size, sent.size, 'every sent reading exactly once');
    } finally {
      await check.close();
      child.kill('SIGTERM');
    }
  });
});
