import type { Channel } from '../protocol/envelope.ts';
import type { DeviceBundleFiles } from '../sim/device-bundle.ts';
import { SimDevice } from '../sim/sim-device.ts';

/**
 * Sends `messages` as the simulator's device code does (mTLS, envelope of the device's alg, QoS 1)
 * and resolves once each has its PUBACK; rejects when one fails or takes longer than `timeoutMs`.
 */
export async function simSend(
  bundle: DeviceBundleFiles,
  brokerUrl: string,
  messages: { channel: Channel; body: unknown }[],
  timeoutMs = 15_000,
): Promise<void> {
  let done = 0;
  let failed: string | undefined;
  const device = new SimDevice(bundle, {
    brokerUrl,
    onPublished: (r) => {
      done++;
      failed ??= r.error;
    },
  });
  await device.connect();
  try {
    for (const m of messages) device.send(m.channel, m.body);
    const deadline = Date.now() + timeoutMs;
    while (done < messages.length && !failed && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    if (failed) throw new Error(`${bundle.info.id}: ${failed}`);
    if (done < messages.length)
      throw new Error(`${bundle.info.id}: ${messages.length - done} messages without PUBACK`);
  } finally {
    await device.close();
  }
}
