/**
 * Device lifecycle from the API (the dashboard's admin device actions), over real HTTPS with real
 * sessions and a real mTLS broker: revoking drops the live session and the device is refused at
 * its next connect; deleting is for devices that never delivered anything; both are admin-only
 * (devices.manage), refused to an operator and a viewer, and audited with the signed-in actor.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApiInstance } from './helpers/api-instance.ts';
import { type EnrolledUser, enrolledUser, errCode } from './helpers/browser.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  makeEnvelope,
  send,
  truckSample,
  waitFor,
} from './helpers/instance.ts';

let inst: Instance;
let admin: EnrolledUser;
let operator: EnrolledUser;
let viewer: EnrolledUser;

before(async () => {
  ({ inst, admin } = await startApiInstance());
  operator = await enrolledUser(inst, 'otto', 'operator');
  viewer = await enrolledUser(inst, 'vera', 'viewer');
});

after(async () => {
  await inst?.destroy();
});

const auditOf = (action: string, object: string) =>
  inst.ctx.store.queryAudit({ action, limit: 1000 }).then((l) => l.filter((a) => a.object === object));

describe('revoking a device from the API', () => {
  it('drops its live session, refuses its next connect, keeps its record, and is audited', async () => {
    const b = await inst.addDevice('truck-0950');
    const client = await connectDevice(inst.url, b);
    await send(client, 'truck-0950', makeEnvelope(b, 'telemetry', { samples: [truckSample()] }, { seq: 1 }));
    await waitFor('reading stored', async () => (await inst.ctx.store.countReadings('truck-0950')) === 1);

    for (const who of [operator, viewer]) {
      const r = await who.browser.post('/api/v1/devices/truck-0950/revoke', {});
      assert.equal(r.status, 403, r.text);
      assert.equal(errCode(r), 'VIGIL_ERR_FORBIDDEN');
    }
    assert.equal((await inst.ctx.store.getDevice('truck-0950'))?.status, 'enabled');

    const r = await admin.browser.post('/api/v1/devices/truck-0950/revoke', {});
    assert.equal(r.status, 200, r.text);
    assert.equal((r.json as { device: { status: string } }).device.status, 'revoked');
    await waitFor('revoked session dropped', () => !client.connected, 5000);
    await closeClient(client);
    await assert.rejects(connectDevice(inst.url, b));
    assert.equal(await inst.ctx.store.countReadings('truck-0950'), 1, 'its data stays');
    const [entry] = await auditOf('device.revoke', 'truck-0950');
    assert.equal(entry?.actor, 'user:admin');

    // A device with data is never deleted: revoked it keeps its record.
    const del = await admin.browser.call('/api/v1/devices/truck-0950', { method: 'DELETE' });
    assert.equal(del.status, 409, del.text);
    assert.equal(errCode(del), 'VIGIL_ERR_DEVICE_IN_USE');
    assert.ok(await inst.ctx.store.getDevice('truck-0950'));
  });

  it('answers 404 for a device that does not exist', async () => {
    const r = await admin.browser.post('/api/v1/devices/truck-nope/revoke', {});
    assert.equal(r.status, 404, r.text);
  });
});

describe('deleting a device from the API', () => {
  it('removes a never-connected device for an admin only, audited; its certificate can never connect', async () => {
    const b = await inst.addDevice('probe-0951', 'temperature-probe');
    for (const who of [operator, viewer]) {
      const r = await who.browser.call('/api/v1/devices/probe-0951', { method: 'DELETE' });
      assert.equal(r.status, 403, r.text);
    }
    const r = await admin.browser.call('/api/v1/devices/probe-0951', { method: 'DELETE' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { deleted: 'probe-0951' });
    assert.equal(await inst.ctx.store.getDevice('probe-0951'), null);
    const [entry] = await auditOf('device.delete', 'probe-0951');
    assert.equal(entry?.actor, 'user:admin');
    await assert.rejects(connectDevice(inst.url, b));

    const again = await admin.browser.call('/api/v1/devices/probe-0951', { method: 'DELETE' });
    assert.equal(again.status, 404, again.text);
  });
});
