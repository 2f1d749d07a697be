/**
 * Claim-based provisioning end to end (docs/protocol.md §14) over real mTLS: a device with the
 * shared claim certificate claims, an admin with MFA approves, the device derives its kid-1
 * secret by ECDH and reconnects under its own identity. Attacks: telemetry with a claim
 * certificate, a replayed claim, uses beyond --uses, approval by a non-admin, unknown identities.
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { deviceSecretIdentity } from '../src/keys/master-key.ts';
import { issueClientCert } from '../src/pki/issue-client.ts';
import { lifecycleOf } from '../src/server/lifecycle-wiring.ts';
import { ClaimDevice } from '../src/sim/claim-device.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import { enrolledUser, errCode, passwordOnly } from './helpers/browser.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';

let inst: Instance;
const sims: SimDevice[] = [];

before(async () => {
  inst = await startInstance({ claims: { autoApprove: ['AUTO-*'] } });
});
after(async () => {
  for (const s of sims) await s.close();
  await inst.destroy();
});

const claims = () => lifecycleOf(inst.server).claims;

async function batch(name: string, uses: number) {
  return claims().createBatch({ name, uses, expiresMs: 30 * 86_400_000, actor: 'test' });
}

function claimDevice(b: Awaited<ReturnType<typeof batch>>, serial: string) {
  return new ClaimDevice({
    brokerUrl: inst.url,
    batch: b.batch.name,
    serial,
    profile: 'temperature-probe',
    ca: b.caPem,
    claimCert: b.certPem,
    claimKey: b.keyPem,
    dir: join(inst.dataDir, 'claimed', serial),
    retryMs: 300,
  });
}

/** Connects with the claim certificate as `serial`; resolves once connected. */
function claimClient(b: Awaited<ReturnType<typeof batch>>, serial: string) {
  const c = mqtt.connect(inst.url, {
    clientId: serial,
    ca: b.caPem,
    cert: b.certPem,
    key: b.keyPem,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  return new Promise<mqtt.MqttClient>((resolve, reject) => {
    c.once('connect', () => resolve(c));
    c.once('error', reject);
    c.once('close', () => reject(new Error('closed')));
  });
}

const refusals = async (reason: string, serial: string) =>
  (await inst.ctx.store.queryAudit({ action: 'claim.refused', limit: 1000 })).filter(
    (a) => a.detail.reason === reason && a.object === serial,
  );

describe('claim-based provisioning', () => {
  it('claim → pending → admin with MFA approves → own certificate and ECDH kid-1 secret → own identity', async () => {
    const b = await batch('factory-a', 5);
    const dev = claimDevice(b, 'SN-A-00001');
    const provisioned = dev.provision(30_000);
    await waitFor(
      'pending claim',
      async () => (await inst.ctx.lifecycleStores.claims.getClaim('SN-A-00001'))?.state === 'pending',
    );
    const admin = await enrolledUser(inst, 'claims-admin', 'admin');
    const list = await admin.browser.call('/api/v1/claims');
    assert.equal(list.status, 200);
    assert.ok(
      (list.json as { claims: { serial: string; state: string }[] }).claims.some(
        (c) => c.serial === 'SN-A-00001' && c.state === 'pending',
      ),
    );
    const r = await admin.browser.post('/api/v1/claims/SN-A-00001/approve', { deviceId: 'ward-probe-001' });
    assert.equal(r.status, 200, r.text);
    const bundle = await provisioned;
    assert.equal(bundle.info.id, 'ward-probe-001');
    assert.match(bundle.cert, /BEGIN CERTIFICATE/);
    const { X509Certificate } = await import('node:crypto');
    assert.match(new X509Certificate(bundle.cert).subject, /CN=ward-probe-001/);
    // The server's kid-1 secret equals the one the device derived; it never travelled.
    const key = await inst.ctx.store.getDeviceKey('ward-probe-001', 1);
    assert.equal(
      inst.ctx.master
        .open('device-secret', key?.secretEnc as Buffer, deviceSecretIdentity('ward-probe-001', 1))
        .toString('base64url'),
      bundle.info.secret,
    );
    assert.ok(!dev.replies.some((x) => x.includes(bundle.info.secret)), 'the secret is not in any reply');
    const sim = new SimDevice(bundle, { brokerUrl: inst.url });
    sims.push(sim);
    await sim.connect();
    sim.record({ ts: Date.now(), temp_c: 4.2 }, [], true);
    await waitFor('reading stored', async () => (await inst.ctx.store.countReadings('ward-probe-001')) === 1);
    const audit = await inst.ctx.store.queryAudit({ action: 'claim.approved' });
    assert.equal(audit.find((a) => a.object === 'SN-A-00001')?.actor, 'user:claims-admin');
  });

  it('auto-approves an allow-listed serial', async () => {
    const b = await batch('factory-auto', 2);
    const bundle = await claimDevice(b, 'AUTO-00042').provision(20_000);
    assert.equal(bundle.info.id, 'auto-00042');
  });

  it('devices of one batch connected at once keep their own sessions (no takeover between serials)', async () => {
    const b = await batch('factory-many', 5);
    // More than the takeover allowance (2 at once): a takeover would refuse the later ones.
    const clients: mqtt.MqttClient[] = [];
    try {
      for (let i = 1; i <= 4; i++) clients.push(await claimClient(b, `SN-C2-0000${i}`));
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(
        clients.map((c) => c.connected),
        [true, true, true, true],
      );
    } finally {
      for (const c of clients) c.end(true);
    }
  });

  it('a claim certificate cannot publish telemetry, nor claim for another serial', async () => {
    const b = await batch('factory-b', 5);
    for (const topic of ['vigil/v1/devices/sn-b-00001/telemetry', 'vigil/v1/claims/SN-OTHER-01']) {
      const c = await claimClient(b, 'SN-B-00001');
      const closed = new Promise<void>((r) => c.once('close', () => r()));
      c.publish(topic, '{}', { qos: 1 });
      await closed;
      c.end(true);
    }
    const acl = await inst.ctx.store.queryAudit({ limit: 1000 });
    assert.ok(
      acl.some((a) => a.detail.reason === 'acl_publish' || String(a.detail.code ?? '') === 'VIGIL_ERR_ACL'),
    );
    assert.equal(await inst.ctx.lifecycleStores.claims.getClaim('SN-OTHER-01'), null);
  });

  it('refuses and audits a replayed claim; the claim is unchanged', async () => {
    const b = await batch('factory-c', 5);
    const dev = claimDevice(b, 'SN-C-00001');
    void dev.provision(5000).catch(() => {});
    await waitFor(
      'pending',
      async () => (await inst.ctx.lifecycleStores.claims.getClaim('SN-C-00001'))?.state === 'pending',
    );
    const captured = dev.sent[0] as string;
    const before = await inst.ctx.lifecycleStores.claims.getClaim('SN-C-00001');
    const c = await claimClient(b, 'SN-C-00001');
    await new Promise<void>((res, rej) =>
      c.publish('vigil/v1/claims/SN-C-00001', captured, { qos: 1 }, (e) => (e ? rej(e) : res())),
    );
    c.end(true);
    await waitFor('audited', async () => (await refusals('replay', 'SN-C-00001')).length >= 1);
    const afterClaim = await inst.ctx.lifecycleStores.claims.getClaim('SN-C-00001');
    assert.equal(afterClaim?.state, 'pending');
    assert.ok((afterClaim?.attempts ?? 0) >= (before?.attempts ?? 0));
  });

  it('refuses a claim beyond --uses, audited', async () => {
    const b = await batch('factory-d', 1);
    void claimDevice(b, 'SN-D-00001')
      .provision(3000)
      .catch(() => {});
    await waitFor(
      'first claim',
      async () => (await inst.ctx.lifecycleStores.claims.getClaim('SN-D-00001')) !== null,
    );
    await assert.rejects(claimDevice(b, 'SN-D-00002').provision(2000));
    assert.ok((await refusals('uses_exhausted', 'SN-D-00002')).length >= 1);
    assert.equal(await inst.ctx.lifecycleStores.claims.getClaim('SN-D-00002'), null);
    assert.equal((await inst.ctx.lifecycleStores.claims.getBatch('factory-d'))?.uses, 1);
  });

  it('refuses approval by a non-admin and by an admin without MFA', async () => {
    const b = await batch('factory-e', 2);
    void claimDevice(b, 'SN-E-00001')
      .provision(5000)
      .catch(() => {});
    await waitFor(
      'pending',
      async () => (await inst.ctx.lifecycleStores.claims.getClaim('SN-E-00001'))?.state === 'pending',
    );
    const operator = await enrolledUser(inst, 'claims-operator', 'operator');
    const op = await operator.browser.post('/api/v1/claims/SN-E-00001/approve', {
      deviceId: 'sneaky-device',
    });
    assert.equal(op.status, 403);
    assert.equal(errCode(op), 'VIGIL_ERR_FORBIDDEN');
    const admin = await enrolledUser(inst, 'claims-admin2', 'admin');
    const half = await passwordOnly(inst, admin.name, admin.password);
    const h = await half.post('/api/v1/claims/SN-E-00001/approve', { deviceId: 'sneaky-device' });
    assert.equal(h.status, 403);
    assert.equal(errCode(h), 'VIGIL_ERR_MFA_REQUIRED');
    assert.equal((await inst.ctx.lifecycleStores.claims.getClaim('SN-E-00001'))?.state, 'pending');
    assert.equal(await inst.ctx.store.getDevice('sneaky-device'), null);
  });

  it('lists an unknown identity with valid TLS as quarantined, with counts', async () => {
    // Signed by Vigil's CA but never registered (a lost registry, a stolen CA key's product).
    const ghost = await issueClientCert({
      ca: inst.ctx.ca,
      commonName: 'ghost-device-01',
      kind: 'device',
      now: new Date(),
    });
    for (let i = 0; i < 2; i++) {
      const c = mqtt.connect(inst.url, {
        clientId: 'ghost-device-01',
        ca: inst.ctx.ca.certPem,
        cert: ghost.certPem,
        key: ghost.keyPkcs8Pem as string,
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
      await new Promise<void>((r) => {
        c.once('close', () => r());
        c.once('error', () => r());
      });
      c.end(true);
    }
    const q = await waitFor('quarantined', async () =>
      (await inst.ctx.lifecycleStores.claims.listQuarantine()).find(
        (e) => e.cn === 'ghost-device-01' && e.attempts >= 2,
      ),
    );
    assert.equal(q.attempts, 2);
  });
});
