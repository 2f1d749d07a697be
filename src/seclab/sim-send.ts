import type { Channel } from '../protocol/envelope.ts';
import type { DeviceBundleFiles } from '../sim/device-bundle.ts';
import { SimDevice } from '../sim/sim-device.ts';

/**
 * Sends `messages` as the simulator's device code does (mTLS, envelope of the device's alg, QoS 1)
 * and resolves once each has its PUBACK (redelivered after a reconnection if need be); rejects when
 * one has none within `timeoutMs`.
 */
export async function simSend(
  bundle: DeviceBundleFiles,
  brokerUrl: string,
  messages: { channel: Channel; body: Record<string, unknown> }[],
  timeoutMs = 15_000,
): Promise<void> {
  let done = 0;
  const device = new SimDevice(bundle, {
    brokerUrl,
    onPublished: () => {
      done++;
    },
  });
  await device.connect();
  try {
    for (const m of messages) device.send(m.channel, m.body);
    // A publish lost with its connection is sent again by the device after reconnecting.
    const deadline = Date.now() + timeoutMs;
    while (done < messages.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (done < messages.length)
      throw new Error(
        `${bundle.info.id}: ${messages.length - done} messages without PUBACK${device.stats.lastError ? ` (${device.stats.lastError})` : ''}`,
      );
  } finally {
    await device.close();
  }
}
