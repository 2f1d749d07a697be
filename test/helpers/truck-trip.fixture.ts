/**
 * A shipment trip's set-up, shared by the shipment and report end-to-end suites: a whole Vigil
 * without the dashboard and with the alarm ticker off (the suites drive time themselves), one
 * truck logger connected over mutual TLS, and the logger's dispatch event that starts a trip.
 */
import type { MqttClient } from 'mqtt';
import type { DeviceBundleFiles } from '../../src/sim/device-bundle.ts';
import { connectDevice, type Instance, makeEnvelope, send, startInstance, waitFor } from './instance.ts';

export interface TruckInstance {
  inst: Instance;
  bundle: DeviceBundleFiles;
  client: MqttClient;
}

/** A Vigil with one connected truck logger `deviceId`. */
export async function startTruckInstance(deviceId: string): Promise<TruckInstance> {
  const inst = await startInstance({}, undefined, {
    webRoot: '/nonexistent-vigil-web',
    alarmService: { tickMs: 0, anomaly: false },
  });
  const bundle = await inst.addDevice(deviceId);
  const client = await connectDevice(inst.url, bundle);
  return { inst, bundle, client };
}

/**
 * Sends the logger's dispatch event for `shipmentId` (envelope sequence number `seq`) and waits
 * until the shipment is in transit and the alarm rules follow it from `ts` on.
 */
export async function dispatchOverMqtt(
  { inst, bundle, client }: TruckInstance,
  dispatch: { ts: number; batch: string; token: string; shipment: string },
  seq: number,
): Promise<void> {
  await send(
    client,
    bundle.info.id,
    makeEnvelope(bundle, 'events', { type: 'dispatch', ...dispatch }, { seq }),
    'events',
  );
  await waitFor('shipment in transit', async () => {
    const s = await inst.ctx.shipmentStore.get(dispatch.shipment);
    return s?.state === 'in_transit' ? s : undefined;
  });
  await waitFor(
    'rules follow the shipment',
    () => inst.server.alarmService.subjectConfig(bundle.info.id)?.since === dispatch.ts,
  );
}
