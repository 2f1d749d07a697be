import type { VigilError } from '../errors.ts';
import { VigilError as VE } from '../errors.ts';
import { deviceSecretIdentity, type MasterKey } from '../keys/master-key.ts';
import { type DeviceKeys, deriveDeviceKeys } from '../protocol/keys.ts';
import type { DeviceRecord, Store } from '../storage/store.ts';

interface Entry {
  device: DeviceRecord;
  keys: Map<number, DeviceKeys>;
}

/**
 * Resolves (device, kid) to the device record and its derived keys, caching both. The cache is
 * dropped whenever the store reports a change made by another process (a `vigil device disable`
 * in a second terminal takes effect within one poll), and by `invalidate()` for in-process changes.
 */
export class DeviceKeyring {
  readonly #store: Pick<Store, 'getDevice' | 'getDeviceKey'>;
  readonly #master: Pick<MasterKey, 'open'>;
  readonly #nextKid: ((deviceId: string) => number | undefined) | undefined;
  #cache = new Map<string, Entry>();

  /**
   * `nextKid` names the one kid above a device's current generation that may be in use (the new
   * kid of a key rotation in progress, docs/protocol.md §12); it is looked up in memory.
   */
  constructor(
    store: Pick<Store, 'getDevice' | 'getDeviceKey'>,
    master: Pick<MasterKey, 'open'>,
    nextKid?: (deviceId: string) => number | undefined,
  ) {
    this.#store = store;
    this.#master = master;
    this.#nextKid = nextKid;
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
   *
   * A `kid` above the device's current generation is refused before any key lookup: no key can
   * exist there yet, and a stream of distinct unknown `kid`s must cost neither a query nor memory.
   * The one exception is the new kid of a rotation in progress (`nextKid`).
   * Only keys that exist are cached (at most one entry per generation up to the current one);
   * a miss is never cached, so a generation added by another process works at once.
   */
  async resolve(
    deviceId: string,
    kid: number,
  ): Promise<{ device: DeviceRecord; keys: DeviceKeys } | VigilError> {
    const device = await this.device(deviceId);
    if (!device) return new VE('VIGIL_ERR_UNKNOWN_DEVICE', deviceId);
    if (device.status !== 'enabled')
      return new VE('VIGIL_ERR_DEVICE_DISABLED', `${deviceId} is ${device.status}`);
    if (kid > device.currentKid && kid !== this.#nextKid?.(deviceId))
      return new VE('VIGIL_ERR_UNKNOWN_KID', `${deviceId} kid ${kid} > current`);
    const entry = this.#cache.get(deviceId);
    if (!entry) return new VE('VIGIL_ERR_UNKNOWN_DEVICE', deviceId);
    let keys = entry.keys.get(kid);
    if (keys === undefined) {
      const rec = await this.#store.getDeviceKey(deviceId, kid);
      if (rec?.status !== 'active') return new VE('VIGIL_ERR_UNKNOWN_KID', `${deviceId} kid ${kid}`);
      keys = deriveDeviceKeys(
        this.#master.open('device-secret', rec.secretEnc, deviceSecretIdentity(deviceId, kid)),
        deviceId,
      );
      // The entry may have been replaced by invalidate() while the query ran: cache in the live one.
      this.#cache.get(deviceId)?.keys.set(kid, keys);
    }
    return { device, keys };
  }

  /** Number of cached key generations of a device (for tests and metrics). */
  cachedKeys(deviceId: string): number {
    return this.#cache.get(deviceId)?.keys.size ?? 0;
  }
}
