import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freshSqlite } from '../storage/adapters/sqlite.fixture.ts';
import { rejectsWith } from '../storage/contract.fixture.ts';
import { sampleDevice, sampleKey } from '../storage/store-records.fixture.ts';
import { setDeviceLabels } from './device-label-service.ts';

const fresh = freshSqlite('label-service');
const T = 1_795_305_600_000;

async function setup() {
  const db = fresh();
  await db.store.addDevice(sampleDevice('bed-0001', { profile: 'patient-vitals' }), sampleKey('bed-0001'));
  await db.store.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
  let now = T;
  const deps = { devices: db.store, labels: db.deviceLabels, clock: () => now++ };
  const audit = async () => db.store.queryAudit({ action: 'device.labels', limit: 100 });
  return { db, deps, audit };
}

describe('device labels', () => {
  it('sets a patient monitor’s bed and ward, trimmed, and audits old and new values with the actor', async () => {
    const { db, deps, audit } = await setup();
    const r = await setDeviceLabels(deps, 'bed-0001', { bed: '  Bed 4 ', ward: 'Ward B' }, 'user:olga');
    assert.deepEqual(r, { bed: 'Bed 4', ward: 'Ward B' });
    assert.deepEqual(await db.deviceLabels.getLabels('bed-0001'), {
      deviceId: 'bed-0001',
      bed: 'Bed 4',
      ward: 'Ward B',
      updatedAt: T,
      updatedBy: 'user:olga',
    });
    await setDeviceLabels(deps, 'bed-0001', { bed: 'Bed 7', ward: '' }, 'user:ada');
    const entries = await audit();
    assert.deepEqual(
      entries.map((e) => [e.actor, e.object, e.detail]),
      [
        ['user:olga', 'bed-0001', { bed: 'Bed 4', ward: 'Ward B', previous: { bed: null, ward: null } }],
        ['user:ada', 'bed-0001', { bed: 'Bed 7', ward: null, previous: { bed: 'Bed 4', ward: 'Ward B' } }],
      ],
    );
    await db.store.close();
  });

  it('records nothing when the labels do not change', async () => {
    const { db, deps, audit } = await setup();
    await setDeviceLabels(deps, 'bed-0001', { bed: 'Bed 4', ward: 'Ward B' }, 'user:olga');
    await setDeviceLabels(deps, 'bed-0001', { bed: 'Bed 4 ', ward: 'Ward B' }, 'user:olga');
    assert.equal((await audit()).length, 1);
    await db.store.close();
  });

  it('refuses labels for a device that is not a patient monitor, and for an unknown device, changing nothing', async () => {
    const { db, deps, audit } = await setup();
    await rejectsWith(
      setDeviceLabels(deps, 'truck-0001', { bed: '1', ward: 'A' }, 'user:olga'),
      'VIGIL_ERR_USAGE',
    );
    await rejectsWith(
      setDeviceLabels(deps, 'bed-0404', { bed: '1', ward: 'A' }, 'user:olga'),
      'VIGIL_ERR_NOT_FOUND',
    );
    assert.deepEqual(await db.deviceLabels.listLabels(), []);
    assert.deepEqual(await audit(), []);
    await db.store.close();
  });

  it('refuses a label that is too long or carries control or direction characters, changing nothing', async () => {
    const { db, deps } = await setup();
    for (const bad of ['x'.repeat(41), 'Bed\n4', 'Bed\u00074', 'Bed \u202e4']) {
      await rejectsWith(
        setDeviceLabels(deps, 'bed-0001', { bed: bad, ward: null }, 'user:olga'),
        'VIGIL_ERR_VALIDATION',
      );
    }
    assert.equal(await db.deviceLabels.getLabels('bed-0001'), null);
    await db.store.close();
  });
});
