/**
 * `vigil gateway revoke` and `vigil gateway remove` (docs/gateway.md) run by another process
 * against a running Vigil with its embedded broker and a real `vigil gateway` child process, every
 * hop mutual TLS on loopback: the revoked gateway is dropped and then refused at the TLS handshake
 * by the CRL, relays nothing more, and stays refused after it is removed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readGatewayBundle } from '../src/gateway/gateway-bundle.ts';
import type { DeviceBundleFiles } from '../src/sim/device-bundle.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import {
  addGatewayCli,
  type GatewayProcess,
  killGateway,
  queuedEnvelopes,
  spawnGateway,
  waitGatewayStatus,
} from './helpers/gateway.fixture.ts';
import { connectDevice, type Instance, startInstance, waitFor } from './helpers/instance.ts';
import { runVigil } from './helpers/run-vigil.ts';

let inst: Instance;
let tmp: string;
let gw: GatewayProcess | undefined;
const sims: SimDevice[] = [];
const bundles = new Map<string, DeviceBundleFiles>();
const count = (label: string) => inst.server.rejections.totals()[label] ?? 0;
const stored = (id: string) => inst.ctx.store.countReadings(id);
const GW = 'retire-gw';

function sim(id: string, url: string): SimDevice {
  const d = new SimDevice(bundles.get(id) as DeviceBundleFiles, {
    brokerUrl: url,
    reconnect: { baseMs: 200, capMs: 2000 },
  });
  sims.push(d);
  return d;
}

/** The gateway's own certificate, presented by a plain MQTT client. */
function asGateway(): DeviceBundleFiles {
  const b = readGatewayBundle(join(tmp, GW));
  return { ...b, info: { ...b.info, id: GW } } as unknown as DeviceBundleFiles;
}

const vigil = (args: string[]) => runVigil(args, { dataDir: inst.dataDir });

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'vigil-gateway-retire-'));
  inst = await startInstance({ pki: { crlPollMs: 200 } });
  for (const id of ['retire-dev-01', 'retire-dev-02', 'retire-dev-03'])
    bundles.set(id, await inst.addDevice(id, 'temperature-probe'));
  await addGatewayCli(inst, GW, ['retire-dev-01', 'retire-dev-03'], join(tmp, GW), inst.server.mqttPort);
  await waitFor('gateway loaded', () => inst.server.gateways.gatewayOf('retire-dev-01') === GW);
});

after(async () => {
  for (const d of sims) await d.close().catch(() => {});
  if (gw && gw.run.child.exitCode === null) await killGateway(gw);
  await inst.destroy();
  rmSync(tmp, { recursive: true, force: true });
});

const data = () => join(tmp, 'retire-gw-data');

describe('vigil gateway revoke and remove', () => {
  it('refuses at its own listener a device revoked upstream: the CRL comes from Vigil', async () => {
    mkdirSync(data());
    writeFileSync(join(data(), 'config.json'), JSON.stringify({ gateway: { statusIntervalMs: 1000 } }));
    gw = await spawnGateway(join(tmp, GW), data());
    await waitGatewayStatus(inst, GW, (s) => s.uplink === 'up');
    const site = `mqtts://127.0.0.1:${gw.port}`;
    const b = bundles.get('retire-dev-03') as DeviceBundleFiles;
    const c = await connectDevice(site, b);
    const r = await vigil(['device', 'revoke', 'retire-dev-03', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    // Vigil's new CRL reaches the gateway in its config: the live session ends, the next
    // handshake at the gateway fails.
    await waitFor('revoked device dropped by the gateway', () => !c.connected, 15_000);
    c.end(true);
    await assert.rejects(connectDevice(site, b));
  });

  it('drops a revoked gateway within a poll, refuses its next handshake by the CRL, and takes nothing it relays', async () => {
    assert.ok(gw, 'the gateway of the first test runs');
    const d = sim('retire-dev-01', `mqtts://127.0.0.1:${gw.port}`);
    await d.connect();
    d.record({ ts: Date.now() - 2000, temp_c: 4.5 }, [], true);
    await waitFor('relayed reading stored', async () => (await stored('retire-dev-01')) === 1);

    const dropped = count('cert_revoked');
    const r = await vigil(['gateway', 'revoke', GW, '--yes', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(
      { ...out, certSerial: typeof out.certSerial },
      { gatewayId: GW, certSerial: 'string', revoked: true, devices: [] },
    );
    // The running server: live session dropped as revoked, the last will says the uplink is down.
    await waitFor('live session dropped as revoked', () => count('cert_revoked') > dropped, 10_000);
    await waitGatewayStatus(inst, GW, (s) => s.uplink === 'down');
    const view = inst.server.gateways.views().find((g) => g.id === GW);
    assert.equal(view?.revoked, true);
    assert.deepEqual(
      view?.devices,
      ['retire-dev-01', 'retire-dev-03'],
      'the bindings stay on record until remove',
    );
    assert.equal(inst.server.gateways.gatewayOf('retire-dev-01'), undefined, 'relays for nobody');

    // Its certificate at the handshake: refused by the CRL, and counted as such.
    const atHandshake = count('cert_revoked');
    await assert.rejects(connectDevice(inst.url, asGateway()));
    await waitFor('handshake refusal counted', () => count('cert_revoked') > atHandshake);

    // What the device sends now stays in the gateway's queue: nothing reaches Vigil.
    d.record({ ts: Date.now() - 1000, temp_c: 4.6 }, [], true);
    await waitFor('queued at the gateway', () => queuedEnvelopes(data()) > 0, 10_000);
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal(await stored('retire-dev-01'), 1);

    // A revoked gateway takes no new device; a second revoke changes nothing.
    const bind = await vigil(['gateway', 'bind', GW, 'retire-dev-02']);
    assert.notEqual(bind.code, 0);
    assert.match(bind.stderr, /revoked/);
    const again = await vigil(['gateway', 'revoke', GW, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).revoked, false);
    await d.close();
    await killGateway(gw);
  });

  it('removes a gateway: its devices are unbound and connect directly, its certificate stays refused, its id can be added again', async () => {
    const before = JSON.parse(
      (await vigil(['gateway', 'list', '--json'])).stdout.trim().split('\n')[0] ?? '{}',
    );
    const r = await vigil(['gateway', 'remove', GW, '--yes', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      gatewayId: GW,
      certSerial: before.certSerial,
      revoked: false,
      devices: ['retire-dev-01', 'retire-dev-03'],
    });
    await waitFor('gateway forgotten', () => !inst.server.gateways.views().some((g) => g.id === GW));
    assert.equal((await vigil(['gateway', 'list', '--json'])).stdout.trim(), '');

    // The device, unbound, delivers directly.
    const d = sim('retire-dev-01', inst.url);
    await d.connect();
    d.record({ ts: Date.now(), temp_c: 4.7 }, [], true);
    await waitFor('direct reading stored', async () => (await stored('retire-dev-01')) === 2);

    // The removed gateway's certificate is still on the CRL.
    const refused = count('cert_revoked');
    await assert.rejects(connectDevice(inst.url, asGateway()));
    await waitFor('handshake refusal counted', () => count('cert_revoked') > refused);

    // The id again, with a new certificate.
    const added = await vigil([
      'gateway',
      'add',
      GW,
      '--devices',
      'retire-dev-02',
      '--out',
      join(tmp, 'again'),
      '--json',
    ]);
    assert.equal(added.code, 0, added.stderr);
    assert.notEqual(JSON.parse(added.stdout).certSerial, before.certSerial);
    const audit = (await inst.ctx.store.queryAudit({ limit: 1000 })).map((a) => a.action);
    for (const action of ['gateway.created', 'gateway.revoked', 'gateway.removed'])
      assert.ok(audit.includes(action), action);
  });
});
