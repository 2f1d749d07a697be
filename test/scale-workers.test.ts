/**
 * Several Vigil processes on one PostgreSQL behind a real Mosquitto, each started as an operator
 * does (`vigil start --role ingest|rules|api`): two ingest workers on the MQTT v5 shared
 * subscription (vigil-ingest-1, -2), two rules processes sharing the device buckets by lease, two
 * API processes. Shows: a replay split across the ingest workers is stored once and refused for
 * every other copy; killing (-9) the rules process that owns a device mid-excursion neither loses
 * nor duplicates its alarm; a session made on one API process works on the other, and failed
 * sign-ins on one lock the account out on the other; a webhook sink gets every stored reading
 * from the outbox the ingest workers fill, delivered by the leading rules process (also after a
 * rules process was killed).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { deviceBucket } from '../src/cluster/device-bucket.ts';
import { ensureFirstAdmin, openContext, type VigilContext } from '../src/data-dir/context.ts';
import { addDevice } from '../src/devices/device-service.ts';
import { serializeEnvelope } from '../src/protocol/envelope.ts';
import { type DeviceBundleFiles, readDeviceBundle } from '../src/sim/device-bundle.ts';
import { RULE_BUCKETS } from '../src/storage/adapters/postgres-migrations.ts';
import { Browser, errCode, firstSignIn } from './helpers/browser.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  MASTER_KEY_HEX,
  makeEnvelope,
  publish,
  topic,
  waitFor,
} from './helpers/instance.ts';
import {
  freeLoopbackPort,
  type MosquittoProcess,
  mosquittoProcess,
  postgresBehindMosquitto,
  writeMosquittoConfig,
} from './helpers/mosquitto-process.ts';
import { startVigilChild, type VigilChild } from './helpers/vigil-child.ts';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';

const { pg, skip } = await postgresBehindMosquitto();

describe('several workers on PostgreSQL behind Mosquitto', {
  skip,
  timeout: 300_000,
}, () => {
  const env = { VIGIL_MASTER_KEY: MASTER_KEY_HEX };
  let dir: string;
  let dataDir: string;
  let ctx: VigilContext;
  let adminPassword = '';
  let broker: MosquittoProcess;
  let mqttUrl: string;
  const children: VigilChild[] = [];
  const rules: VigilChild[] = [];
  const ingest: VigilChild[] = [];
  const api: { child: VigilChild; url: string }[] = [];
  const bundles: Record<string, DeviceBundleFiles> = {};
  const clients: MqttClient[] = [];
  const hookSecret = 'workers-webhook-secret-83c1f0aa';
  let hook: WebhookReceiver;

  const start = async (args: string[]): Promise<VigilChild> => {
    const c = startVigilChild(['--data-dir', dataDir, ...args]);
    children.push(c);
    await c.started();
    return c;
  };

  before(async () => {
    assert.ok(pg);
    dir = mkdtempSync(join(tmpdir(), 'vigil-workers-'));
    dataDir = join(dir, 'data');
    const port = await freeLoopbackPort();
    mqttUrl = `mqtts://127.0.0.1:${port}`;
    await pg.query('CREATE DATABASE vigil_workers');
    hook = await startWebhookReceiver({ mode: 'generic', secret: hookSecret });
    const config = {
      sinks: { retryMaxMs: 1000, webhook: [{ url: hook.url, secret: hookSecret, ca: hook.caPem }] },
      storage: { url: pg.url('vigil_workers') },
      mqtt: { external: { url: `mqtts://localhost:${port}`, ingestWorkers: 2 } },
      http: { host: '127.0.0.1', port: 0 },
      pki: { crlPollMs: 500 },
    };
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify(config));
    // One process initialises the data directory (CA, server certificate, first admin) first.
    ctx = await openContext({ dataDir, env, logLevel: 'silent', create: true });
    adminPassword = (await ensureFirstAdmin(ctx))?.oneTimePassword ?? '';
    for (const id of ['probe-replay', 'probe-heat']) {
      const b = await addDevice(ctx, {
        id,
        profile: 'temperature-probe',
        outDir: join(dir, 'bundles', id),
        actor: 'test',
      });
      bundles[id] = readDeviceBundle(b.dir);
    }
    await writeMosquittoConfig(dataDir, join(dir, 'mq'), port);
    broker = mosquittoProcess(join(dir, 'mq'));
    await broker.start();
    const procs = await Promise.all([
      start(['--role', 'ingest']),
      start(['--role', 'ingest']),
      start(['--role', 'rules']),
      start(['--role', 'rules']),
      start(['--role', 'api', '--http-port', '0']),
      start(['--role', 'api', '--http-port', '0']),
    ]);
    // The leading rules process registers the sink; from then on every stored reading is queued.
    await waitFor(
      'the sink registered',
      async () => (await ctx.sinkOutbox.listTargets()).length === 1,
      30_000,
    );
    ingest.push(procs[0] as VigilChild, procs[1] as VigilChild);
    rules.push(procs[2] as VigilChild, procs[3] as VigilChild);
    for (const c of procs.slice(4)) {
      const m = /https:\/\/localhost:(\d+)\//.exec(c.output());
      assert.ok(m, c.output());
      api.push({ child: c, url: `https://127.0.0.1:${m[1]}` });
    }
  });

  after(async () => {
    for (const c of clients) await closeClient(c).catch(() => {});
    await Promise.all(children.map((c) => c.stop().catch(() => null)));
    await ctx?.close().catch(() => {});
    await broker?.stop().catch(() => {});
    await hook?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs two ingest workers with their own identities on the shared subscription', async () => {
    const ids = ingest.map((c) => /ingest identity\s+(\S+)/.exec(c.output())?.[1]).sort();
    assert.deepEqual(ids, ['vigil-ingest-1', 'vigil-ingest-2']);
    await waitFor('both workers connected to the broker', () =>
      ids.every((id) => broker.log().includes(`as ${id} (p5`)),
    );
  });

  it('stores a replayed message once when its copies reach both ingest workers, and refuses every other copy', async () => {
    const b = bundles['probe-replay'] as DeviceBundleFiles;
    const c = await connectDevice(mqttUrl, b);
    clients.push(c);
    const env1 = serializeEnvelope(
      makeEnvelope(b, 'telemetry', { samples: [{ ts: Date.now() - 1000, temp_c: 5 }] }, { seq: 1 }),
    );
    const copies = 24;
    await Promise.all(Array.from({ length: copies }, () => publish(c, topic(b.info.id, 'telemetry'), env1)));
    await waitFor('the message stored', async () => (await ctx.store.countReadings('probe-replay')) === 1);
    // Every other copy is refused, by one worker or the other (each audits its first refusal).
    await waitFor(
      'refusals audited',
      async () =>
        (await ctx.store.queryAudit({ action: 'ingest.reject', limit: 1000 })).some(
          (e) => e.object === 'probe-replay' && e.detail.reason === 'replay',
        ),
      15_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await ctx.store.countReadings('probe-replay'), 1, 'exactly once');
  });

  it('keeps one alarm, neither lost nor duplicated, when the rules process owning the device is killed mid-excursion', async () => {
    const b = bundles['probe-heat'] as DeviceBundleFiles;
    const c = await connectDevice(mqttUrl, b);
    clients.push(c);
    const t0 = Date.now() - 40 * 60_000;
    let seq = 0;
    const heat = async (minutes: number) => {
      for (let i = 0; i < minutes; i++) {
        seq++;
        const env = makeEnvelope(
          b,
          'telemetry',
          { samples: [{ ts: t0 + (seq - 1) * 60_000, temp_c: 12 }] },
          { seq },
        );
        await publish(c, topic(b.info.id, 'telemetry'), serializeEnvelope(env));
      }
    };
    // 20 minutes above +8 °C: the owner raises the warning (15 min).
    await heat(20);
    await waitFor(
      'warning raised',
      async () => (await ctx.alarmStore.list({ subject: 'probe-heat', rule: 'warning:above' })).length === 1,
      30_000,
    );
    // Kill the owner of the device's bucket.
    const bucket = deviceBucket('probe-heat', RULE_BUCKETS);
    const rows = await pg?.query<{ owner: string }>(
      `SELECT owner FROM rule_leases WHERE bucket = ${bucket}`,
      'vigil_workers',
    );
    const pid = Number(rows?.[0]?.owner.split(':')[1]);
    const owner = rules.find((r) => r.output().includes(`pid ${pid}`));
    assert.ok(owner, `the owner (pid ${pid}) is one of the rules processes`);
    await owner.kill9();
    // The excursion goes on while nobody owns the device, then the other process takes it over.
    await heat(10);
    await waitFor(
      'bucket taken over',
      async () => {
        const r = await pg?.query<{ owner: string }>(
          `SELECT owner FROM rule_leases WHERE bucket = ${bucket}`,
          'vigil_workers',
        );
        return r?.[0]?.owner !== undefined && !r[0].owner.includes(`:${pid}:`);
      },
      20_000,
    );
    // Warmer still: the new owner continues the same warning (its peak follows), opens no second one.
    for (let i = 0; i < 5; i++) {
      seq++;
      const env = makeEnvelope(
        b,
        'telemetry',
        { samples: [{ ts: t0 + (seq - 1) * 60_000, temp_c: 14 + i }] },
        { seq },
      );
      await publish(c, topic(b.info.id, 'telemetry'), serializeEnvelope(env));
    }
    await waitFor(
      'the warning continued by the new owner',
      async () =>
        (await ctx.alarmStore.list({ subject: 'probe-heat', rule: 'warning:above' }))[0]?.peak === 18,
      30_000,
    );
    const all = await ctx.alarmStore.list({ subject: 'probe-heat', rule: 'warning:above' });
    assert.equal(all.length, 1, `one warning: ${JSON.stringify(all.map((a) => a.id))}`);
    assert.notEqual(all[0]?.state, 'resolved');
  });

  it('accepts a session made on one API process on the other, and locks an account out on both', async () => {
    const [a, b] = api;
    assert.ok(a && b);
    const instA = { httpUrl: a.url, ctx } as unknown as Instance;
    const instB = { httpUrl: b.url, ctx } as unknown as Instance;
    const admin = await firstSignIn(instA, 'admin', 'admin', adminPassword);
    const other = new Browser(instB);
    other.token = admin.browser.token;
    const me = await other.call('/api/v1/auth/me');
    assert.equal(me.status, 200, me.text);
    assert.equal((me.json as { mfa: boolean }).mfa, true);
    // Wrong passwords on A until A throttles; B then throttles the same account and address.
    let locked = false;
    for (let i = 0; i < 30 && !locked; i++) {
      const r = await new Browser(instA).post('/api/v1/auth/login', {
        username: 'admin',
        password: `wrong ${i}`,
      });
      locked = r.status === 429;
    }
    assert.ok(locked, 'A locked the account out');
    const onB = await new Browser(instB).post('/api/v1/auth/login', {
      username: 'admin',
      password: 'wrong again',
    });
    assert.equal(onB.status, 429, onB.text);
    assert.equal(errCode(onB), 'VIGIL_ERR_LOCKED');
  });

  it('delivers every stored reading to the webhook sink from the leading rules process', async () => {
    const stored = new Set<string>();
    for (const id of Object.keys(bundles)) {
      for (const r of await ctx.store.queryReadings({ deviceId: id, since: 0, limit: 10_000 }))
        stored.add(`${r.deviceId}|${r.seq}|${r.idx}`);
    }
    assert.ok(stored.size >= 30, `readings stored by the tests above: ${stored.size}`);
    // At least once: a leader that died between a delivery and its removal sends it again; the
    // lines carry device, seq and idx for the receiver to drop repeats.
    const delivered = () => new Set(hook.accepted.map((l) => `${l.deviceId}|${l.seq}|${l.idx}`));
    await waitFor(
      'every stored reading delivered',
      () => [...stored].every((k) => delivered().has(k)),
      30_000,
    );
    assert.deepEqual(
      [...delivered()].filter((k) => !stored.has(k)),
      [],
      'nothing delivered that was not stored',
    );
  });
});
