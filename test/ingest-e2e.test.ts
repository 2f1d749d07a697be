/**
 * The secure ingest path end to end, over real mutual TLS on loopback: a good device's readings
 * arrive decrypted and correct; every attack is refused, counted by reason, audited, and the
 * pipeline keeps serving the other devices.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { openContext } from '../src/data-dir/context.ts';
import { revokeDevice, setDeviceEnabled } from '../src/devices/device-service.ts';
import { issueClientCert } from '../src/pki/index.ts';
import { serializeEnvelope } from '../src/protocol/envelope.ts';
import type { DeviceBundleFiles } from '../src/sim/device-bundle.ts';
import { assertStillServed, startWithDevice } from './helpers/connected-device.fixture.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  MASTER_KEY_HEX,
  makeEnvelope,
  publish,
  send,
  topic,
  truckSample,
  waitFor,
} from './helpers/instance.ts';

let inst: Instance;
let good: DeviceBundleFiles;
let goodClient: MqttClient;
let goodSeq = 1000;
/** Every message of the good device takes a fresh, higher seq, so attacks never age out the next test. */
const nextSeq = (jump = 1) => {
  goodSeq += jump;
  return goodSeq;
};

/** A second process's view of the data dir, as `vigil device ...` in another terminal would have. */
async function asOtherProcess<T>(
  fn: (ctx: Awaited<ReturnType<typeof openContext>>) => Promise<T>,
): Promise<T> {
  const ctx = await openContext({
    dataDir: inst.dataDir,
    env: { VIGIL_MASTER_KEY: MASTER_KEY_HEX },
    logLevel: 'silent',
  });
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

function count(label: string): number {
  return inst.server.rejections.totals()[label] ?? 0;
}

/**
 * Runs an attack and checks it was counted under `label` (or one of `labels`) and audited, and that
 * a good device still works.
 */
async function expectRefused(label: string | string[], attack: () => Promise<unknown>): Promise<void> {
  const labels = typeof label === 'string' ? [label] : label;
  const before = labels.map(count);
  await attack();
  const counted = await waitFor(`rejection ${labels.join(' or ')} counted`, () =>
    labels.find((l, i) => count(l) > (before[i] ?? 0)),
  );
  await inst.server.rejections.flush();
  const audit = await inst.ctx.store.queryAudit({ limit: 100000 });
  assert.ok(
    audit.some((a) => a.action.endsWith('.reject') && a.detail.reason === counted),
    `audit has a ${counted} rejection`,
  );
  await stillServing();
}

function stillServing(): Promise<void> {
  return assertStillServed({ inst, bundle: good }, goodClient, nextSeq());
}

describe('secure ingest end to end (mTLS on loopback)', () => {
  before(async () => {
    ({ inst, bundle: good, client: goodClient } = await startWithDevice('truck-good-01'));
  });
  after(async () => {
    await closeClient(goodClient).catch(() => {});
    await inst.destroy();
  });

  it('stores a simulated device reading decrypted and correct', async () => {
    const ts = Date.now() - 1000;
    await send(
      goodClient,
      good.info.id,
      makeEnvelope(good, 'telemetry', { samples: [truckSample(ts, 5.25)] }, { seq: 1 }),
    );
    const [r] = await inst.ctx.store.queryReadings({ deviceId: good.info.id, since: 0 });
    assert.ok(r);
    assert.equal(r.seq, 1);
    assert.equal(r.ts, ts);
    assert.equal(r.backfill, false);
    assert.deepEqual(r.data, {
      temp_c: 5.25,
      rh_pct: 51.2,
      lat: 52.37,
      lon: 4.89,
      bat_pct: 88,
      power: 'mains',
    });
  });

  it('accepts Ascon-AEAD128 and integrity-only devices', async () => {
    for (const alg of ['ASCON128', 'none'] as const) {
      const b = await inst.addDevice(`probe-${alg.toLowerCase()}-1`, 'temperature-probe', alg);
      const c = await connectDevice(inst.url, b);
      await send(
        c,
        b.info.id,
        makeEnvelope(b, 'telemetry', { samples: [{ ts: Date.now(), temp_c: -18.5 }] }, { seq: 7 }),
      );
      await closeClient(c);
      const [r] = await inst.ctx.store.queryReadings({ deviceId: b.info.id, since: 0 });
      assert.equal(r?.data.temp_c, -18.5);
    }
  });

  it('marks buffered samples as backfill and stores several per envelope', async () => {
    const old = Date.now() - 3 * 3_600_000;
    const samples = [0, 1, 2].map((i) => truckSample(old + i * 60_000, 4 + i));
    await send(goodClient, good.info.id, makeEnvelope(good, 'telemetry', { samples }, { seq: 2 }));
    const rows = await inst.ctx.store.queryReadings({
      deviceId: good.info.id,
      since: old,
      until: old + 200_000,
    });
    assert.equal(rows.length, 3);
    assert.ok(rows.every((r) => r.backfill));
  });

  it('refuses a forged MAC', () =>
    expectRefused('mac_invalid', () =>
      send(goodClient, good.info.id, {
        ...makeEnvelope(good, 'telemetry', { samples: [truckSample()] }, { seq: nextSeq() }),
        mac: 'A'.repeat(43),
      }),
    ));

  for (const field of ['b', 'n', 'mac'] as const) {
    it(`refuses one flipped bit in ${field}`, () =>
      expectRefused('mac_invalid', async () => {
        const env = makeEnvelope(good, 'telemetry', { samples: [truckSample()] }, { seq: nextSeq() });
        const s = env[field];
        const at = 4;
        const flipped = s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
        await send(goodClient, good.info.id, { ...env, [field]: flipped });
      }));
  }

  it('refuses a changed header field (seq, ts, kid) under the original MAC', () =>
    expectRefused('mac_invalid', async () => {
      const env = makeEnvelope(good, 'telemetry', { samples: [truckSample()] }, { seq: nextSeq() });
      await send(goodClient, good.info.id, { ...env, seq: 62 });
      await send(goodClient, good.info.id, { ...env, ts: env.ts - 1 });
    }));

  it('refuses an exact replay and stores no duplicate', async () => {
    const env = makeEnvelope(good, 'telemetry', { samples: [truckSample()] }, { seq: nextSeq() });
    await send(goodClient, good.info.id, env);
    await expectRefused('replay', () => send(goodClient, good.info.id, env));
    const rows = await inst.ctx.store.queryReadings({ deviceId: good.info.id, since: 0, limit: 100000 });
    assert.equal(rows.filter((r) => r.seq === env.seq).length, 1);
  });

  it('refuses a fresh seq that reuses a nonce', async () => {
    const nonce = Buffer.alloc(12, 0x42);
    await send(
      goodClient,
      good.info.id,
      makeEnvelope(good, 'telemetry', { samples: [truckSample()] }, { seq: nextSeq(), nonce }),
    );
    await expectRefused('nonce_reuse', () =>
      send(
        goodClient,
        good.info.id,
        makeEnvelope(good, 'telemetry', { samples: [truckSample()] }, { seq: nextSeq(), nonce }),
      ),
    );
  });

  it('refuses a seq older than the window', async () => {
    const high = nextSeq(5000);
    await send(
      goodClient,
      good.info.id,
      makeEnvelope(good, 'telemetry', { samples: [truckSample()] }, { seq: high }),
    );
    await expectRefused('replay_too_old', () =>
      send(
        goodClient,
        good.info.id,
        makeEnvelope(good, 'telemetry', { samples: [truckSample()] }, { seq: high - 1024 }),
      ),
    );
  });

  for (const [what, samples, ts] of [
    ['an envelope ts', () => [truckSample()], () => Date.now() + 3_600_000],
    // The envelope's ts is current; only a sample's own ts is ahead.
    ['a sample ts', () => [truckSample(), truckSample(Date.now() + 3_600_000)], () => Date.now()],
  ] as const) {
    it(`refuses ${what} too far in the future`, () =>
      expectRefused('ts_future', () =>
        send(
          goodClient,
          good.info.id,
          makeEnvelope(good, 'telemetry', { samples: samples() }, { seq: nextSeq(), ts: ts() }),
        ),
      ));
  }

  it('refuses an envelope with a duplicate member, an integer not in plain form, or a BOM', async () => {
    const text = () =>
      serializeEnvelope(makeEnvelope(good, 'telemetry', { samples: [truckSample()] }, { seq: nextSeq() }));
    await expectRefused('envelope_schema', () =>
      send(goodClient, good.info.id, text().replace(/"kid":1,/, '"kid":1,"kid":1,')),
    );
    await expectRefused('envelope_schema', () =>
      send(goodClient, good.info.id, text().replace(/"kid":1,/, '"kid":1.0,')),
    );
    await expectRefused('envelope_schema', () =>
      publish(goodClient, topic(good.info.id, 'telemetry'), Buffer.from(`\ufeff${text()}`, 'utf8')),
    );
  });

  it('refuses an event typed "constructor" as a body error and keeps the connection', async () => {
    await expectRefused('body_schema', () =>
      send(
        goodClient,
        good.info.id,
        makeEnvelope(good, 'events', '{"type":"constructor"}', { seq: nextSeq() }),
        'events',
      ),
    );
    assert.ok(goodClient.connected, 'a rejection is acknowledged, not a storage failure');
  });

  it('refuses a dispatch event from a device provisioned with alg none', async () => {
    const b = await inst.addDevice('probe-clear-dispatch', 'temperature-probe', 'none');
    const c = await connectDevice(inst.url, b);
    try {
      await expectRefused('cleartext_secret', () =>
        send(
          c,
          b.info.id,
          makeEnvelope(b, 'events', { type: 'dispatch', batch: 'LOT-1', token: 'K7P2QX9M' }, { seq: 1 }),
          'events',
        ),
      );
      assert.deepEqual(await inst.ctx.store.queryMessages({ deviceId: b.info.id }), []);
    } finally {
      await closeClient(c);
    }
  });

  it('refuses a wrong kid', () =>
    expectRefused('unknown_kid', () =>
      send(
        goodClient,
        good.info.id,
        makeEnvelope(good, 'telemetry', { samples: [truckSample()] }, { seq: nextSeq(), kid: 2 }),
      ),
    ));

  it('refuses an alg the device was not provisioned with (K_mac alone forging alg none)', () =>
    expectRefused('alg_mismatch', () =>
      send(
        goodClient,
        good.info.id,
        makeEnvelope(good, 'telemetry', { samples: [truckSample()] }, { seq: nextSeq(), alg: 'none' }),
      ),
    ));

  it('refuses malformed JSON', () =>
    expectRefused('envelope_schema', () => send(goodClient, good.info.id, '{"v":1,"dev":')));

  it('refuses an envelope over 16 KiB', () =>
    expectRefused('envelope_size', () =>
      send(goodClient, good.info.id, `{"v":1,"x":"${'y'.repeat(17_000)}"}`),
    ));

  it('refuses a body that does not fit the profile', () =>
    expectRefused('body_schema', () =>
      send(
        goodClient,
        good.info.id,
        makeEnvelope(
          good,
          'telemetry',
          { samples: [{ ts: Date.now(), temp_c: 'warm' }] },
          { seq: nextSeq() },
        ),
      ),
    ));

  it("refuses a publish to another device's topic", async () => {
    const other = await inst.addDevice('truck-other-02');
    const attacker = await connectDevice(inst.url, good, { clientId: good.info.id });
    const forged = serializeEnvelope(
      makeEnvelope(other, 'telemetry', { samples: [truckSample()] }, { seq: 1 }),
    );
    const before = Object.values(inst.server.rejections.totals()).reduce((a, b) => a + b, 0);
    // MQTT 3.1.1 has no negative PUBACK: the broker closes the connection of a client that
    // publishes outside its ACL. Either way nothing may be stored.
    await publish(attacker, topic(other.info.id, 'telemetry'), forged).catch(() => {});
    await waitFor(
      'ACL refusal counted',
      () => Object.values(inst.server.rejections.totals()).reduce((a, b) => a + b, 0) > before,
    );
    await closeClient(attacker);
    assert.equal(await inst.ctx.store.countReadings(other.info.id), 0);
    if (!goodClient.connected) goodClient = await connectDevice(inst.url, good);
    await stillServing();
  });

  it('refuses a replay after a broker restart', async () => {
    const env = makeEnvelope(good, 'telemetry', { samples: [truckSample()] }, { seq: nextSeq() });
    await send(goodClient, good.info.id, env);
    await closeClient(goodClient);
    await inst.restart();
    goodClient = await connectDevice(inst.url, good);
    await expectRefused('replay', () => send(goodClient, good.info.id, env));
  });

  it('refuses messages of a disabled device and its next connect', async () => {
    const b = await inst.addDevice('truck-disabled-03');
    const c = await connectDevice(inst.url, b);
    await send(c, b.info.id, makeEnvelope(b, 'telemetry', { samples: [truckSample()] }, { seq: 1 }));
    await asOtherProcess((ctx) => setDeviceEnabled(ctx, b.info.id, false, 'test'));
    await waitFor('session of the disabled device dropped', () => !c.connected, 5000);
    await closeClient(c);
    await assert.rejects(connectDevice(inst.url, b));
    assert.equal(await inst.ctx.store.countReadings(b.info.id), 1);
  });

  it('drops a revoked device within 5 s and refuses it at the next connect', async () => {
    const b = await inst.addDevice('truck-revoked-04');
    const c = await connectDevice(inst.url, b);
    const t0 = Date.now();
    await asOtherProcess((ctx) => revokeDevice(ctx, b.info.id, 'test'));
    await waitFor('revoked session dropped', () => !c.connected, 5000);
    assert.ok(Date.now() - t0 < 5000);
    await closeClient(c);
    // The CRL refuses it at TLS; if the broker reads the revocation from the store before its
    // CRL reload, the MQTT check refuses it as an unknown identity (src/broker/connect-check.ts).
    await expectRefused(['cert_revoked', 'unknown_identity'], () =>
      assert.rejects(connectDevice(inst.url, b)),
    );
  });

  it('refuses an unknown device (valid certificate, not registered)', async () => {
    const cert = await issueClientCert({
      ca: inst.ctx.ca,
      commonName: 'ghost-0001',
      kind: 'device',
      now: new Date(),
    });
    const ghost = {
      ...good,
      info: { ...good.info, id: 'ghost-0001' },
      cert: cert.certPem,
      key: cert.keyPkcs8Pem ?? '',
    };
    await assert.rejects(connectDevice(inst.url, ghost));
  });

  it('refuses a client id that differs from the certificate CN', async () => {
    await assert.rejects(connectDevice(inst.url, good, { clientId: 'truck-other-02' }));
  });

  it('refuses subscriptions to #, +/#, $SYS/# and another device', async () => {
    for (const filter of [
      '#',
      '+/#',
      '$SYS/#',
      topic('truck-other-02', 'commands'),
      'vigil/v1/devices/+/telemetry',
    ]) {
      // MQTT.js reports a SUBACK return code 0x80 as an error.
      const refused = await new Promise<boolean>((resolve) =>
        goodClient.subscribe(filter, { qos: 1 }, (err, g) => resolve(Boolean(err) || g?.[0]?.qos === 128)),
      );
      assert.equal(refused, true, `${filter} refused`);
    }
    await stillServing();
  });
});
