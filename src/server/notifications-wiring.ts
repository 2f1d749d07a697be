import type { AlarmStore } from '../alarms/alarm-store.ts';
import type { VigilContext } from '../data-dir/context.ts';
import { alarmContextSource } from '../notifications/alarm-context.ts';
import type { ChannelSender } from '../notifications/channels/channel.ts';
import { createSenders } from '../notifications/channels/senders.ts';
import { dashboardUrlOf } from '../notifications/dashboard-url.ts';
import { NotificationConfig } from '../notifications/notification-config.ts';
import type { Channel } from '../notifications/notification-model.ts';
import {
  createNotificationService,
  type NotificationService,
} from '../notifications/notification-service.ts';
import type { TestDeps } from '../notifications/test-notification.ts';
import type { ShipmentService } from '../shipments/shipment-service.ts';

/** The notification parts the server and the API share. */
export interface Notifications {
  service: NotificationService;
  config: NotificationConfig;
  senders: Record<Channel, ChannelSender>;
  test: TestDeps;
}

/** Builds the notification service over the context's store (the caller starts it). */
export function createNotifications(p: {
  ctx: VigilContext;
  /** The observed alarm store (the service's system alarms reach the live feed and itself). */
  alarms: AlarmStore;
  shipments: Pick<ShipmentService, 'list'>;
  httpPort: () => number;
  senders?: Record<Channel, ChannelSender>;
}): Notifications {
  const { ctx } = p;
  const n = ctx.config.notifications;
  const store = ctx.notificationStore;
  const config = new NotificationConfig({ store, master: ctx.master, audit: ctx.store, clock: ctx.clock });
  const senders = p.senders ?? createSenders({ config, store, clock: ctx.clock, timeoutMs: n.sendTimeoutMs });
  const dashboardUrl = dashboardUrlOf(ctx.config, p.httpPort);
  const service = createNotificationService({
    store,
    config,
    alarms: p.alarms,
    context: alarmContextSource({
      getDevice: (id) => ctx.store.getDevice(id),
      listShipments: (deviceId) => p.shipments.list({ deviceId, limit: 20 }),
    }),
    senders,
    settings: { ...n, dashboardUrl },
    clock: ctx.clock,
    random: Math.random,
    logger: ctx.logger,
  });
  return {
    service,
    config,
    senders,
    test: {
      store,
      config,
      senders,
      audit: ctx.store,
      clock: ctx.clock,
      dashboardUrl,
      timeoutMs: n.sendTimeoutMs,
    },
  };
}
