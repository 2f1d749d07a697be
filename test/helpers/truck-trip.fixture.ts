import { type ConnectedDevice, startWithDevice } from './connected-device.fixture.ts';
import { makeEnvelope, send, waitFor } from './instance.ts';

export type TruckInstance = ConnectedDevice;

/** A Vigil with one connected truck logger `deviceId`. */
export function startTruckInstance(deviceId: string): Promise<TruckInstance> {
  return startWithDevice(deviceId, {
    webRoot: '/nonexistent-vigil-web',
    alarmService: { tickMs: 0, anomaly: false },
  });
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
