import type { VigilError } from '../errors.ts';
import { VigilError as VE } from '../errors.ts';
import { deviceSecretIdentity, type MasterKey } from '../keys/master-key.ts';
import { type DeviceKeys, deriveDeviceKeys } from '../protocol/keys.ts';
import type { DeviceRecord, Store } from '../storage/store.ts';

interface Entry {
  device: DeviceRecord | null;
  keys: Map<number, DeviceKeys | null>;
}

/**
 * Resolves (device, kid) to the device record and its derived keys, caching both. The cache is
 * dropped whenever the store reports a change made by another process (a `vigil device disable`
 * in a second terminal takes effect within one poll), and by `invalidate()` for in-process changes.
 */
export class DeviceKeyring {
  readonly #store: Store;
  readonly #master: MasterKey;
  #cache = new Map<string, Entry>();

  constructor(store: Store, master: MasterKey) {
    this.#store = store;
    this.#master = master;
  }

  invalidate(deviceId?: string): void {
    if (deviceId) this.#cache.delete(deviceId);
    else this.#cache.clear();
  }

  /** Cached device record (null when unknown). */
  async device(deviceId: string): Promise<DeviceRecord | null> {
    const cached = this.#cache.get(deviceId);
    if (cached) return cached.device;
    const device = await this.#store.getDevice(deviceId);
    // Unknown ids are not cached: a device provisioned a moment ago by another process must work
    // at once, and a flood of unknown ids cannot grow the cache.
    if (device) this.#cache.set(deviceId, { device, keys: new Map() });
    return device;
  }

  /**
   * Device and keys for an incoming envelope, or the rejection: unknown device, disabled or
   * revoked device, unknown or retired key generation.
   */
  async resolve(
    deviceId: string,
    kid: number,
  ): Promise<{ device: DeviceRecord; keys: DeviceKeys } | VigilError> {
    const device = await this.device(deviceId);
    if (!device) return new VE('VIGIL_ERR_UNKNOWN_DEVICE', deviceId);
    if (device.status !== 'enabled')
      return new VE('VIGIL_ERR_DEVICE_DISABLED', `${deviceId} is ${device.status}`);
    const entry = this.#cache.get(deviceId);
    if (!entry) return new VE('VIGIL_ERR_UNKNOWN_DEVICE', deviceId);
    let keys = entry.keys.get(kid);
    if (keys === undefined) {
      const rec = await this.#store.getDeviceKey(deviceId, kid);
      keys =
        rec && rec.status === 'active'
          ? deriveDeviceKeys(
              this.#master.open('device-secret', rec.secretEnc, deviceSecretIdentity(deviceId, kid)),
              deviceId,
            )
          : null;
      entry.keys.set(kid, keys);
    }
    if (!keys) return new VE('VIGIL_ERR_UNKNOWN_KID', `${deviceId} kid ${kid}`);
    return { device, keys };
  }
}
