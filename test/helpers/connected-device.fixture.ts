/**
 * A whole Vigil with one device connected over mutual TLS, and the check the attack suites make
 * after each attack: the good device is still served (a reading it sends is stored).
 */
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import type { ServerOptions } from '../../src/server/start-server.ts';
import type { DeviceBundleFiles } from '../../src/sim/device-bundle.ts';
import { connectDevice, type Instance, makeEnvelope, send, startInstance, truckSample } from './instance.ts';

export interface ConnectedDevice {
  inst: Instance;
  bundle: DeviceBundleFiles;
  client: MqttClient;
}

/** A Vigil (`serverOptions` as startInstance takes them) with device `deviceId` connected. */
export async function startWithDevice(
  deviceId: string,
  serverOptions: ServerOptions = {},
): Promise<ConnectedDevice> {
  const inst = await startInstance({}, undefined, serverOptions);
  const bundle = await inst.addDevice(deviceId);
  const client = await connectDevice(inst.url, bundle);
  return { inst, bundle, client };
}

/** Sends one reading as the device over `client` with envelope `seq` and asserts it was stored. */
export async function assertStillServed(
  { inst, bundle }: Omit<ConnectedDevice, 'client'>,
  client: MqttClient,
  seq: number,
): Promise<void> {
  await send(
    client,
    bundle.info.id,
    makeEnvelope(bundle, 'telemetry', { samples: [truckSample()] }, { seq }),
  );
  const rows = await inst.ctx.store.queryReadings({ deviceId: bundle.info.id, since: 0, limit: 100000 });
  assert.ok(
    rows.some((r) => r.seq === seq),
    'the good device is still served',
  );
}
