import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { deviceSecretIdentity, MasterKey } from '../keys/master-key.ts';
import type { DeviceKeyRecord, DeviceRecord } from '../storage/store.ts';
import { sampleDevice } from '../storage/store-records.fixture.ts';
import { DeviceKeyring } from './device-keyring.ts';

const master = new MasterKey(Buffer.alloc(32, 3));

function fakeStore(device: Partial<DeviceRecord> = {}) {
  const keys = new Map<number, DeviceKeyRecord>();
  const addKey = (kid: number, status: DeviceKeyRecord['status'] = 'active') =>
    keys.set(kid, {
      deviceId: 'truck-0001',
      kid,
      secretEnc: master.seal('device-secret', Buffer.alloc(32, kid), deviceSecretIdentity('truck-0001', kid)),
      createdAt: 0,
      status,
    });
  addKey(1);
  const calls = { device: 0, key: 0 };
  const record = sampleDevice('truck-0001', device);
  const store = {
    getDevice: async (id: string) => {
      calls.device++;
      return id === record.id ? record : null;
    },
    getDeviceKey: async (_id: string, kid: number) => {
      calls.key++;
      return keys.get(kid) ?? null;
    },
  };
  return { store, calls, addKey, record };
}

const code = (r: unknown) => (isVigilError(r) ? r.code : 'ok');

describe('DeviceKeyring', () => {
  it('refuses a kid above the current generation before any key lookup, and caches nothing for it', async () => {
    const f = fakeStore();
    const ring = new DeviceKeyring(f.store, master);
    assert.equal(code(await ring.resolve('truck-0001', 1)), 'ok');
    const lookups = f.calls.key;
    for (let kid = 2; kid < 2002; kid++)
      assert.equal(code(await ring.resolve('truck-0001', kid)), 'VIGIL_ERR_UNKNOWN_KID');
    assert.equal(f.calls.key, lookups, 'no key lookup for a kid above the current one');
    assert.equal(ring.cachedKeys('truck-0001'), 1, 'the cache holds only the key that exists');
  });

  it('accepts the new kid of a key rotation in progress above the current one, and no other', async () => {
    const f = fakeStore();
    f.addKey(2);
    let next: number | undefined = 2;
    const ring = new DeviceKeyring(f.store, master, (id) => (id === 'truck-0001' ? next : undefined));
    assert.equal(code(await ring.resolve('truck-0001', 2)), 'ok', 'before the ack moved the current kid');
    const lookups = f.calls.key;
    assert.equal(code(await ring.resolve('truck-0001', 3)), 'VIGIL_ERR_UNKNOWN_KID');
    assert.equal(f.calls.key, lookups, 'any other kid above the current one costs no lookup');
    next = undefined;
    ring.invalidate('truck-0001');
    assert.equal(
      code(await ring.resolve('truck-0001', 2)),
      'VIGIL_ERR_UNKNOWN_KID',
      'rotation over (failed)',
    );
  });

  it('does not cache a miss: a generation that appears later works at once', async () => {
    const f = fakeStore({ currentKid: 2 });
    const ring = new DeviceKeyring(f.store, master);
    assert.equal(code(await ring.resolve('truck-0001', 2)), 'VIGIL_ERR_UNKNOWN_KID');
    f.addKey(2);
    assert.equal(code(await ring.resolve('truck-0001', 2)), 'ok');
  });

  it('refuses a retired generation, an unknown device and a disabled one', async () => {
    const f = fakeStore({ currentKid: 2 });
    f.addKey(2, 'retired');
    const ring = new DeviceKeyring(f.store, master);
    assert.equal(code(await ring.resolve('truck-0001', 2)), 'VIGIL_ERR_UNKNOWN_KID');
    assert.equal(code(await ring.resolve('ghost-0001', 1)), 'VIGIL_ERR_UNKNOWN_DEVICE');
    const off = new DeviceKeyring(fakeStore({ status: 'disabled' }).store, master);
    assert.equal(code(await off.resolve('truck-0001', 1)), 'VIGIL_ERR_DEVICE_DISABLED');
  });

  it('caches device and keys until invalidated', async () => {
    const f = fakeStore();
    const ring = new DeviceKeyring(f.store, master);
    await ring.resolve('truck-0001', 1);
    await ring.resolve('truck-0001', 1);
    assert.deepEqual(f.calls, { device: 1, key: 1 });
    ring.invalidate('truck-0001');
    await ring.resolve('truck-0001', 1);
    assert.deepEqual(f.calls, { device: 2, key: 2 });
  });

  it('invalidate() without a device drops every cached device; an unknown device is never cached', async () => {
    const f = fakeStore();
    const ring = new DeviceKeyring(f.store, master);
    assert.equal(await ring.device('ghost-0001'), null);
    assert.equal(await ring.device('ghost-0001'), null);
    assert.equal(f.calls.device, 2, 'a miss is asked again');
    await ring.resolve('truck-0001', 1);
    ring.invalidate();
    await ring.resolve('truck-0001', 1);
    assert.deepEqual(f.calls, { device: 4, key: 2 });
    assert.equal(ring.cachedKeys('ghost-0001'), 0);
  });

  it('names device, kid and status in what it tells the audit log', async () => {
    const f = fakeStore({ currentKid: 2 });
    const ring = new DeviceKeyring(f.store, master);
    const detail = async (id: string, kid: number) => {
      const r = await ring.resolve(id, kid);
      return isVigilError(r) ? r.detail : 'ok';
    };
    assert.equal(await detail('truck-0001', 3), 'truck-0001 kid 3 > current');
    assert.equal(await detail('truck-0001', 2), 'truck-0001 kid 2');
    const off = new DeviceKeyring(fakeStore({ status: 'revoked' }).store, master);
    const r = await off.resolve('truck-0001', 1);
    assert.equal(isVigilError(r) ? r.detail : 'ok', 'truck-0001 is revoked');
  });

  it('invalidate(id) drops that device only', async () => {
    const { store } = fakeStore();
    const ring = new DeviceKeyring(store, master);
    assert.equal(code(await ring.resolve('truck-0001', 1)), 'ok');
    ring.invalidate('truck-0404');
    assert.equal(ring.cachedKeys('truck-0001'), 1);
  });

  it('refuses as unknown, without throwing, a device invalidated while it was being resolved', async () => {
    const { store } = fakeStore();
    const ring = new DeviceKeyring(store, master);
    await ring.device('truck-0001');
    // Runs between the cached lookup and the rest of resolve(), as another message's invalidate would.
    queueMicrotask(() => ring.invalidate());
    const r = await ring.resolve('truck-0001', 1);
    assert.ok(isVigilError(r, 'VIGIL_ERR_UNKNOWN_DEVICE'), String(r));
    assert.equal(r.detail, 'truck-0001');
  });

  it('returns the keys, and caches nothing, when the device is invalidated during the key lookup', async () => {
    const { store } = fakeStore();
    let ring: DeviceKeyring | undefined;
    const racing = {
      ...store,
      getDeviceKey: async (id: string, kid: number) => {
        ring?.invalidate();
        return store.getDeviceKey(id, kid);
      },
    };
    ring = new DeviceKeyring(racing, master);
    assert.equal(code(await ring.resolve('truck-0001', 1)), 'ok');
    assert.equal(ring.cachedKeys('truck-0001'), 0);
  });
});
