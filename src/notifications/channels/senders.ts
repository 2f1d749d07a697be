import type { NotificationConfig } from '../notification-config.ts';
import type { Channel } from '../notification-model.ts';
import type { NotificationStore } from '../notification-store.ts';
import type { ChannelSender } from './channel.ts';
import { emailSender } from './email-channel.ts';
import { pushSender } from './push-channel.ts';
import { smsSender } from './sms-channel.ts';
import { webhookSender } from './webhook-channel.ts';

/** One sender per channel, reading settings and credentials at each send (changes apply at once). */
export function createSenders(o: {
  config: NotificationConfig;
  store: Pick<NotificationStore, 'listPushSubscriptions' | 'deletePushSubscription'>;
  clock: () => number;
  timeoutMs: number;
}): Record<Channel, ChannelSender> {
  const { config, timeoutMs } = o;
  const secret = (name: string) => config.secret(name);
  return {
    email: emailSender({ settings: () => config.channelSettings('email'), secret, timeoutMs }),
    sms: smsSender({ kind: 'sms', settings: () => config.channelSettings('sms'), secret, timeoutMs }),
    voice: smsSender({ kind: 'voice', settings: () => config.channelSettings('sms'), secret, timeoutMs }),
    webhook: webhookSender({
      settings: () => config.channelSettings('webhook'),
      secret,
      clock: o.clock,
      timeoutMs,
    }),
    push: pushSender({
      settings: () => config.channelSettings('push'),
      vapid: () => config.vapid(),
      keys: async (endpoint) =>
        (await o.store.listPushSubscriptions()).find((s) => s.endpoint === endpoint) ?? null,
      onGone: async (endpoint) => {
        await o.store.deletePushSubscription(endpoint);
      },
      timeoutMs,
    }),
  };
}
