/**
 * Durable signed commands end to end (docs/protocol.md §7.3): over real mTLS on loopback, through
 * the embedded broker, to simulated devices that verify every downlink envelope themselves.
 */

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { NONCE_BYTES } from '../src/protocol/aead.ts';
import { sealEnvelope, serializeEnvelope } from '../src/protocol/envelope.ts';
import { deriveDeviceKeys } from '../src/protocol/keys.ts';
import { lifecycleOf } from '../src/server/lifecycle-wiring.ts';
import { readDeviceBundle } from '../src/sim/device-bundle.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import { apiRequest } from './helpers/api-client.ts';
import { type Browser, enrolledUser, errCode, passwordOnly } from './helpers/browser.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  startInstance,
  topic,
  waitFor,
} from './helpers/instance.ts';

let inst: Instance;
const devices: SimDevice[] = [];

async function sim(id: string, connect = true): Promise<SimDevice> {
  const b = await inst.addDevice(id);
  const d = new SimDevice(b, { brokerUrl: inst.url });
  devices.push(d);
  if (connect) await d.connect();
  return d;
}

const commands = () => lifecycleOf(inst.server).commands;
const stored = (id: string) => inst.ctx.lifecycleStores.commands.get(id);

before(async () => {
  inst = await startInstance({ commands: { resendAfterSeconds: 1 } });
});
after(async () => {
  for (const d of devices) await d.close();
  await inst.destroy();
});

describe('commands to devices', () => {
  it('delivers a command, runs it once and correlates the ack with its id', async () => {
    const d = await sim('cmd-ack-0001');
    const cmd = await commands().send({
      deviceId: d.id,
      op: 'set_interval',
      args: { seconds: 15 },
      actor: 'test',
    });
    const acked = await waitFor('ack', async () => {
      const c = await stored(cmd.id);
      return c?.state === 'acked' ? c : undefined;
    });
    assert.equal(acked.outcome, 'ok');
    assert.deepEqual(acked.result, { seconds: 15 });
    assert.equal(d.intervalMs, 15_000);
    assert.deepEqual(d.stats.commandLog, [{ id: cmd.id, op: 'set_interval', ok: true }]);
    const audit = await inst.ctx.store.queryAudit({ action: 'command.acked' });
    assert.ok(audit.some((a) => a.detail.id === cmd.id && a.actor === `device:${d.id}`));
  });

  it('answers an unknown op and bad args with ok:false and an error', async () => {
    const d = await sim('cmd-unknown-01');
    const unknown = await commands().send({ deviceId: d.id, op: 'make_coffee', actor: 'test' });
    const badArgs = await commands().send({
      deviceId: d.id,
      op: 'set_limits',
      args: { min_c: 9, max_c: 2 },
      actor: 'test',
    });
    for (const id of [unknown.id, badArgs.id]) {
      const c = await waitFor('ack', async () => {
        const r = await stored(id);
        return r?.state === 'acked' ? r : undefined;
      });
      assert.equal(c.outcome, 'error');
      assert.ok(c.error);
    }
    assert.equal((await stored(unknown.id))?.error, 'unsupported op');
  });

  it('reaches a device that was offline when it was sent', async () => {
    const d = await sim('cmd-offline-01', false);
    const cmd = await commands().send({ deviceId: d.id, op: 'identify', actor: 'test' });
    await new Promise((r) => setTimeout(r, 300));
    assert.notEqual((await stored(cmd.id))?.state, 'acked');
    await d.connect();
    await waitFor('ack after reconnect', async () => (await stored(cmd.id))?.state === 'acked');
    assert.equal(d.identifyCount, 1);
  });

  it('delivers 100 queued commands to one device in order, each once', async () => {
    const d = await sim('cmd-order-001', false);
    const ids: string[] = [];
    for (let i = 1; i <= 100; i++) {
      ids.push(
        (await commands().send({ deviceId: d.id, op: 'set_interval', args: { seconds: i }, actor: 'test' }))
          .id,
      );
    }
    await d.connect();
    await waitFor(
      '100 acks',
      async () => d.stats.commandLog.length >= 100 && (await stored(ids[99] as string))?.state === 'acked',
      30_000,
    );
    assert.deepEqual(
      d.stats.commandLog.map((c) => c.id),
      ids,
    );
    assert.equal(d.intervalMs, 100_000);
    const all = await inst.ctx.lifecycleStores.commands.list({ deviceId: d.id, limit: 200 });
    assert.ok(all.every((c) => c.state === 'acked' && c.outcome === 'ok'));
  });

  it('expires a command whose TTL passed before the device came back', async () => {
    const d = await sim('cmd-expire-01', false);
    const cmd = await commands().send({ deviceId: d.id, op: 'identify', actor: 'test', ttlMs: 1000 });
    await waitFor('expired', async () => (await stored(cmd.id))?.state === 'expired', 5000);
    await d.connect();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(d.identifyCount, 0, 'an expired command never runs');
    assert.equal((await stored(cmd.id))?.state, 'expired');
    const audit = await inst.ctx.store.queryAudit({ action: 'command.expired' });
    assert.ok(audit.some((a) => a.detail.id === cmd.id));
  });

  describe('attacks on the downlink', () => {
    let attacker: MqttClient;
    let d: SimDevice;
    const captured: Buffer[] = [];
    before(async () => {
      d = await sim('cmd-attack-01');
      // The attacker holds another device's certificate (not the target's secret).
      const other = await inst.addDevice('cmd-attack-02');
      attacker = await connectDevice(inst.url, other);
    });
    after(async () => {
      if (attacker) await closeClient(attacker);
    });

    it('refuses a replayed command envelope through its downlink window', async () => {
      const t = topic(d.id, 'commands');
      // Capture the sealed envelope on its way (a second subscriber on the broker's path).
      const original = (inst.server.broker as NonNullable<typeof inst.server.broker>).publish.bind(
        inst.server.broker,
      );
      const broker = inst.server.broker as NonNullable<typeof inst.server.broker>;
      broker.publish = (tp: string, payload: string | Buffer) => {
        if (tp === t) captured.push(Buffer.from(payload));
        return original(tp, payload);
      };
      const cmd = await commands().send({ deviceId: d.id, op: 'identify', actor: 'test' });
      await waitFor('ack', async () => (await stored(cmd.id))?.state === 'acked');
      broker.publish = original;
      assert.equal(d.identifyCount, 1);
      // The attacker re-publishes the captured envelope, byte for byte, to the device.
      await original(t, captured[0] as Buffer);
      await waitFor('refusal', () => (d.stats.refused.replay ?? 0) >= 1);
      assert.equal(d.identifyCount, 1, 'the replay did not run the command again');
    });

    it('refuses a command with a forged MAC', async () => {
      const b = readDeviceBundle(`${inst.dataDir}/bundles/cmd-attack-01`);
      const wrong = deriveDeviceKeys(randomBytes(32), d.id);
      const env = sealEnvelope({
        dev: d.id,
        channel: 'commands',
        seq: 1_000_000,
        ts: Date.now(),
        kid: b.info.kid,
        alg: b.info.alg,
        nonce: randomBytes(NONCE_BYTES[b.info.alg]),
        body: JSON.stringify({ id: '6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10', op: 'reboot', args: {} }),
        keys: wrong,
      });
      const broker = inst.server.broker as NonNullable<typeof inst.server.broker>;
      await broker.publish(topic(d.id, 'commands'), serializeEnvelope(env));
      await waitFor('refusal', () => (d.stats.refused.mac_invalid ?? 0) >= 1);
      assert.ok(!d.stats.commandLog.some((c) => c.op === 'reboot'));
    });

    it('a device certificate cannot publish to a commands topic', async () => {
      // Another device's certificate trying to inject a command: the broker ACL closes it.
      const closed = new Promise<void>((r) => attacker.once('close', () => r()));
      attacker.publish(topic(d.id, 'commands'), 'x', { qos: 1 });
      await closed;
    });
  });

  describe('the API', () => {
    let operator: { browser: Browser; name: string; password: string };
    let viewer: Browser;
    before(async () => {
      await sim('cmd-api-0001');
      operator = await enrolledUser(inst, 'cmd-operator', 'operator');
      viewer = (await enrolledUser(inst, 'cmd-viewer', 'viewer')).browser;
    });

    it('lets an operator with MFA send a command, audited with who, what and why', async () => {
      const r = await operator.browser.post('/api/v1/devices/cmd-api-0001/commands', {
        op: 'identify',
        ttlSeconds: 600,
        reason: 'find the logger in the cold room',
      });
      assert.equal(r.status, 201, r.text);
      const cmd = (r.json as { command: { id: string; state: string; createdBy: string } }).command;
      assert.equal(cmd.createdBy, 'user:cmd-operator');
      await waitFor('ack', async () => (await stored(cmd.id))?.state === 'acked');
      const list = await operator.browser.call('/api/v1/devices/cmd-api-0001/commands');
      const first = (list.json as { commands: { id: string; state: string; outcome: string }[] }).commands[0];
      assert.deepEqual([first?.id, first?.state, first?.outcome], [cmd.id, 'acked', 'ok']);
      const audit = await inst.ctx.store.queryAudit({ action: 'command.queued' });
      const entry = audit.find((a) => a.detail.id === cmd.id);
      assert.equal(entry?.actor, 'user:cmd-operator');
      assert.equal(entry?.detail.op, 'identify');
      assert.equal(entry?.detail.reason, 'find the logger in the cold room');
    });

    it('refuses a viewer and a password-only session, and stores nothing', async () => {
      const before = (await inst.ctx.lifecycleStores.commands.list({ deviceId: 'cmd-api-0001' })).length;
      const v = await viewer.post('/api/v1/devices/cmd-api-0001/commands', { op: 'reboot' });
      assert.equal(v.status, 403);
      assert.equal(errCode(v), 'VIGIL_ERR_FORBIDDEN');
      const half = await passwordOnly(inst, operator.name, operator.password);
      const h = await half.post('/api/v1/devices/cmd-api-0001/commands', { op: 'reboot' });
      assert.equal(h.status, 403);
      assert.equal(errCode(h), 'VIGIL_ERR_MFA_REQUIRED');
      assert.equal(
        (await inst.ctx.lifecycleStores.commands.list({ deviceId: 'cmd-api-0001' })).length,
        before,
      );
    });

    it("refuses an API token, even an admin's, for commands, key rotation and claim approval; it may still disable", async () => {
      const { token } = await inst.server.auth.tokens.create({
        label: 'automation',
        role: 'admin',
        owner: 'admin',
        actor: 'test',
      });
      const call = (path: string, body: unknown) =>
        apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
          path,
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const before = (await inst.ctx.lifecycleStores.commands.list({ deviceId: 'cmd-api-0001' })).length;
      for (const [path, body] of [
        ['/api/v1/devices/cmd-api-0001/commands', { op: 'reboot', reason: 'scripted' }],
        ['/api/v1/devices/cmd-api-0001/rotate-key', {}],
        ['/api/v1/claims/SN-TOKEN-0001/approve', { deviceId: 'token-probe-0001' }],
      ] as const) {
        const r = await call(path, body);
        assert.deepEqual([r.status, errCode(r)], [403, 'VIGIL_ERR_FORBIDDEN'], `${path}: ${r.text}`);
      }
      assert.equal(
        (await inst.ctx.lifecycleStores.commands.list({ deviceId: 'cmd-api-0001' })).length,
        before,
      );
      // The same token still holds devices.control (enable / disable), which is not interactive-only.
      assert.equal((await call('/api/v1/devices/cmd-api-0001/disable', {})).status, 200);
      assert.equal((await call('/api/v1/devices/cmd-api-0001/enable', {})).status, 200);
    });

    it('refuses bad commands with a clear error', async () => {
      const big = await operator.browser.post('/api/v1/devices/cmd-api-0001/commands', {
        op: 'set_limits',
        args: { note: 'x'.repeat(300) },
      });
      assert.equal(big.status, 400);
      const internal = await operator.browser.post('/api/v1/devices/cmd-api-0001/commands', {
        op: 'cert',
        args: { cert: 'AA' },
      });
      assert.equal(internal.status, 400);
      assert.equal(errCode(internal), 'VIGIL_ERR_COMMAND_INVALID');
      const unknown = await operator.browser.post('/api/v1/devices/nobody-0001/commands', { op: 'identify' });
      assert.equal(unknown.status, 404);
    });
  });
});
