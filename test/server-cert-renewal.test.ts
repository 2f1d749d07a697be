/** The server certificate is renewed and hot-swapped on both listeners with devices connected. */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { SimDevice } from '../src/sim/sim-device.ts';
import { type Instance, startInstance, truckSample, waitFor } from './helpers/instance.ts';

let inst: Instance;
/** The renewal of the running server (present on the SQLite store, as here). */
function serverCert() {
  const s = inst.server.serverCert;
  assert.ok(s, 'the server certificate renewal runs');
  return s;
}
const devices: SimDevice[] = [];

before(async () => {
  inst = await startInstance();
});
after(async () => {
  for (const d of devices) await d.close();
  await inst.destroy();
});

/** The serial of the certificate a listener presents to a new handshake. */
function presentedSerial(port: number, clientCert?: { cert: string; key: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect(
      { host: '127.0.0.1', port, ca: inst.ctx.ca.certPem, servername: 'localhost', ...(clientCert ?? {}) },
      () => {
        const serial = s.getPeerX509Certificate()?.serialNumber ?? '';
        s.end();
        resolve(serial.toLowerCase());
      },
    );
    s.once('error', reject);
  });
}

describe('server certificate renewal', () => {
  it('swaps the certificate on MQTT and HTTPS with no restart and no dropped session', async () => {
    for (let i = 1; i <= 3; i++) {
      const d = new SimDevice(await inst.addDevice(`srv-cert-00${i}`), { brokerUrl: inst.url });
      devices.push(d);
      await d.connect();
    }
    let closes = 0;
    const watch = setInterval(() => {
      for (const d of devices) if (!d.stats.connected) closes++;
    }, 10);
    const device = await inst.addDevice('srv-cert-probe');
    const before = new X509Certificate(
      readFileSync(inst.ctx.paths.serverCert, 'utf8'),
    ).serialNumber.toLowerCase();
    assert.equal(await presentedSerial(inst.server.mqttPort, { cert: device.cert, key: device.key }), before);
    assert.equal(await presentedSerial(inst.server.httpPort), before);

    assert.equal(await serverCert().check(true), true);
    const after_ = new X509Certificate(
      readFileSync(inst.ctx.paths.serverCert, 'utf8'),
    ).serialNumber.toLowerCase();
    assert.notEqual(after_, before);
    assert.equal(await presentedSerial(inst.server.mqttPort, { cert: device.cert, key: device.key }), after_);
    assert.equal(await presentedSerial(inst.server.httpPort), after_);

    // The sessions opened before the swap keep working.
    for (const d of devices) d.record(truckSample(), [], true);
    await waitFor('readings stored', async () => {
      for (const d of devices) if ((await inst.ctx.store.countReadings(d.id)) < 1) return false;
      return true;
    });
    clearInterval(watch);
    assert.equal(closes, 0, 'no device was disconnected');
    assert.ok(devices.every((d) => d.stats.errors === 0));
    const audit = await inst.ctx.store.queryAudit({ action: 'pki.server_cert_renewed' });
    assert.equal(audit.length, 1);
  });

  it('does nothing while the certificate is far from expiry', async () => {
    assert.equal(await serverCert().check(), false);
  });
});
