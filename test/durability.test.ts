/**
 * A reading acknowledged to the device is durable: kill -9 the server in the middle of a QoS 1
 * stream, restart it, and every acknowledged reading is stored exactly once; redelivering the
 * unacknowledged ones (as a device does) creates no duplicate either. The same holds when the
 * process dies between the two transactions of a split batch, and after commits that failed
 * (SQLITE_BUSY, a full disk) and were redelivered: the replay window saved with a transaction is
 * that of its own rows, never one that runs ahead of them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openContext } from '../src/data-dir/context.ts';
import { addDevice } from '../src/devices/device-service.ts';
import { isVigilError } from '../src/errors.ts';
import type { DeviceProfile } from '../src/protocol/device-profile.ts';
import { type Envelope, serializeEnvelope } from '../src/protocol/envelope.ts';
import { type DeviceBundleFiles, readDeviceBundle } from '../src/sim/device-bundle.ts';
import type { CrashPlan } from './helpers/crash-ingest.fixture.ts';
import {
  closeClient,
  connectDevice,
  MASTER_KEY_HEX,
  makeEnvelope,
  topic,
  truckSample,
  waitFor,
} from './helpers/instance.ts';
import { freePort, startVigil, stopVigil, type VigilProcess } from './helpers/vigil-process.ts';

const root = new URL('..', import.meta.url).pathname;
const env = { ...process.env, VIGIL_MASTER_KEY: MASTER_KEY_HEX, VIGIL_LOG_LEVEL: 'warn' };

// Also with the device TLS on two offload workers (`mqtt.listenerWorkers`, read by `vigil start`).
for (const listenerWorkers of [0, 2])
  describe(`durability (listenerWorkers: ${listenerWorkers})`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-dur-'));
    let server: VigilProcess | undefined;
    after(() => {
      server?.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('keeps every acknowledged reading exactly once across kill -9', async () => {
      // A fast stream: lift the per-client publish rate limit for this test.
      writeFileSync(
        join(dataDir, 'config.json'),
        JSON.stringify({ mqtt: { publishRatePerSec: 100000, publishBurst: 100000, listenerWorkers } }),
      );
      const ctx = await openContext({ dataDir, env, logLevel: 'silent', create: true });
      const bundle = readDeviceBundle(
        (await addDevice(ctx, { id: 'truck-dur-01', profile: 'vaccine-transport', actor: 'test' })).dir,
      );
      await ctx.close();
      const port = await freePort();
      server = await startVigil(dataDir, port, env);
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
          server.child.kill('SIGKILL');
          killed = true;
        }
      }
      assert.ok(
        killed,
        `killed mid-stream (acked ${acked.size}, connected ${client.connected}): ${server.output().slice(-2000)}`,
      );
      const ackedAtKill = new Set(acked);
      await new Promise((r) => server?.child.once('exit', r));
      await closeClient(client);

      server = await startVigil(dataDir, port, env);
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
        await stopVigil(server);
      }
    });
  });

/** A data directory with one provisioned device (the server is not running). */
async function provisioned(
  id: string,
  profile: DeviceProfile,
): Promise<{ dataDir: string; bundle: DeviceBundleFiles }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-dur-'));
  const ctx = await openContext({ dataDir, env, logLevel: 'silent', create: true });
  try {
    const bundle = readDeviceBundle((await addDevice(ctx, { id, profile, actor: 'test' })).dir);
    return { dataDir, bundle };
  } finally {
    await ctx.close();
  }
}

/** Runs the crash-ingest child on `plan` until it dies by SIGKILL; returns its report lines. */
function runCrashChild(dir: string, plan: CrashPlan): Promise<string[]> {
  const planFile = join(dir, 'crash-plan.json');
  writeFileSync(planFile, JSON.stringify(plan));
  const child = spawn(process.execPath, [join(root, 'test/helpers/crash-ingest.fixture.ts'), planFile], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`crash child did not finish: ${out} ${err}`));
    }, 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(t);
      if (signal !== 'SIGKILL') reject(new Error(`crash child exited ${code}: ${out} ${err}`));
      else resolve(out.trim().split('\n'));
    });
  });
}

const acked = (lines: string[]) =>
  lines.filter((l) => l.startsWith('ack ')).map((l) => Number(l.split(' ')[1]));

/** Restarts the real server on the data dir, redelivers every envelope over mTLS, returns the stored rows. */
async function redeliverAll(dataDir: string, bundle: DeviceBundleFiles, envs: Envelope[]) {
  const port = await freePort();
  const server = await startVigil(dataDir, port, env);
  try {
    const client = await connectDevice(`mqtts://127.0.0.1:${port}`, bundle);
    for (const e of envs) {
      await new Promise<void>((resolve, reject) =>
        client.publish(topic(bundle.info.id, 'telemetry'), serializeEnvelope(e), { qos: 1 }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    }
    await closeClient(client);
  } finally {
    await stopVigil(server);
  }
  const check = await openContext({ dataDir, env, logLevel: 'silent' });
  try {
    return await check.store.queryReadings({ deviceId: bundle.info.id, since: 0, limit: 100_000 });
  } finally {
    await check.close();
  }
}

const asMessages = (bundle: DeviceBundleFiles, envs: Envelope[]): CrashPlan['messages'] =>
  envs.map((e) => ({
    topic: topic(bundle.info.id, 'telemetry'),
    payload: Buffer.from(serializeEnvelope(e)).toString('base64'),
    seq: e.seq,
    publisher: bundle.info.id,
  }));

describe('durability at the transaction boundary (kill -9 between and after commits)', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('loses nothing when killed between the two commits of a split backfill burst (11 x 200 samples)', async () => {
    const { dataDir, bundle } = await provisioned('probe-dur-02', 'temperature-probe');
    dirs.push(dataDir);
    const t0 = Date.now() - 6 * 3_600_000;
    const burst = Array.from({ length: 11 }, (_, e) =>
      makeEnvelope(
        bundle,
        'telemetry',
        {
          samples: Array.from({ length: 200 }, (_, i) => ({
            ts: t0 + (e * 200 + i) * 1000,
            temp_c: -18 - (i % 7) / 10,
          })),
        },
        { seq: 100 + e },
      ),
    );
    const lines = await runCrashChild(dataDir, {
      dataDir,
      messages: asMessages(bundle, burst),
      killAtCommit: 2,
    });
    assert.ok(lines.includes('rows 1 2000'), `the first transaction held 2000 rows: ${lines.join('|')}`);
    assert.ok(lines.includes('killed'), 'killed at the start of the second commit');
    const ackedSeqs = acked(lines);
    assert.deepEqual(
      ackedSeqs.sort((a, b) => a - b),
      [100, 101, 102, 103, 104, 105, 106, 107, 108, 109],
    );

    // The device redelivers what had no PUBACK (and, PUBACKs lost, may send the rest again).
    const rows = await redeliverAll(dataDir, bundle, burst);
    assert.equal(rows.length, 2200, 'every reading of the burst is stored');
    assert.equal(new Set(rows.map((r) => `${r.seq}/${r.idx}`)).size, 2200, 'exactly once');
    for (const seq of ackedSeqs)
      assert.equal(rows.filter((r) => r.seq === seq).length, 200, `acknowledged seq ${seq}`);
  });

  it('after failed commits (SQLITE_BUSY, disk full) and redelivery of every message in them, then kill -9, keeps every acknowledged reading once', async () => {
    const { dataDir, bundle } = await provisioned('truck-dur-03', 'vaccine-transport');
    dirs.push(dataDir);
    const envs = Array.from({ length: 8 }, (_, i) =>
      makeEnvelope(
        bundle,
        'telemetry',
        { samples: [truckSample(Date.now() - 1000, 4 + i / 10)] },
        { seq: 10 + i },
      ),
    );
    const lines = await runCrashChild(dataDir, {
      dataDir,
      messages: asMessages(bundle, envs),
      faults: { 1: 'busy', 2: 'full' },
      redeliverUnacked: true,
    });
    assert.ok(lines.includes('done'), lines.join('|'));
    assert.ok(
      lines.some((l) => l.startsWith('nack ')),
      'some commits failed',
    );
    const ackedSeqs = acked(lines);
    assert.deepEqual(
      [...new Set(ackedSeqs)].sort((a, b) => a - b),
      envs.map((e) => e.seq),
      `every message of the failed batches was accepted on redelivery: ${lines.join('|')}`,
    );
    assert.ok(
      lines.every((l) => !/ack \d+ VIGIL_ERR/.test(l)),
      `no redelivered message refused as a replay or a nonce reuse: ${lines.join('|')}`,
    );

    const rows = await redeliverAll(dataDir, bundle, envs);
    assert.deepEqual(
      rows.map((r) => r.seq).sort((a, b) => a - b),
      envs.map((e) => e.seq),
      'every acknowledged reading exactly once',
    );
  });

  it('writes readings and the replay state in one transaction: a replay state that cannot be written leaves no reading', async () => {
    const { dataDir, bundle } = await provisioned('truck-dur-04', 'vaccine-transport');
    dirs.push(dataDir);
    const ctx = await openContext({ dataDir, env, logLevel: 'silent' });
    try {
      const reading = {
        deviceId: bundle.info.id,
        seq: 1,
        idx: 0,
        ts: 1,
        receivedAt: 1,
        backfill: false,
        data: {},
      };
      // The state of a device that does not exist breaks a foreign key: the whole batch must go.
      const ghost = {
        deviceId: 'ghost-0001',
        highest: 1,
        bitmap: Buffer.alloc(128),
        nonces: Buffer.alloc(0),
        updatedAt: 1,
      };
      await assert.rejects(
        ctx.store.writeBatch({ readings: [reading], messages: [], replayStates: [ghost], lastSeen: [] }),
        (e: unknown) => isVigilError(e, 'VIGIL_ERR_STORE'),
      );
      assert.equal(await ctx.store.countReadings(bundle.info.id), 0, 'the readings were rolled back with it');
    } finally {
      await ctx.close();
    }
  });
});
