import { z } from 'zod';
import { VigilError } from '../../errors.ts';
import { iso, isoOrNull } from '../../iso-time.ts';
import type { NotificationConfig } from '../../notifications/notification-config.ts';
import { type NotificationService, outboxView } from '../../notifications/notification-service.ts';
import type { NotificationStore } from '../../notifications/notification-store.ts';
import type { RoutePlugin } from '../api-deps.ts';
import { alarmNotificationsSchema, escalationSchema, onCallSchema } from '../notification-schemas.ts';
import { principalOf } from './auth.ts';

/** A browser's PushSubscription (W3C Push API `toJSON()`). */
const subscriptionSchema = z.strictObject({
  endpoint: z.url({ protocol: /^https$/ }).max(2000),
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({
    p256dh: z.string().regex(/^[A-Za-z0-9_-]{80,100}$/),
    auth: z.string().regex(/^[A-Za-z0-9_-]{16,32}$/),
  }),
});

/**
 * What every alarm reader sees of notifications (alarms.read): who is on call now, the
 * escalation of each alarm, and the notifications of one alarm with every attempt's provider
 * response. And each user's own opt-in to Web Push (notifications.subscribe).
 */
export function notificationStatusRoutes(p: {
  service: Pick<NotificationService, 'onCall'>;
  store: Pick<
    NotificationStore,
    | 'listOutbox'
    | 'attempts'
    | 'listEscalations'
    | 'getEscalation'
    | 'putPushSubscription'
    | 'deletePushSubscription'
    | 'listPushSubscriptions'
  >;
  config: Pick<NotificationConfig, 'vapid' | 'channelSettings' | 'list'>;
  clock: () => number;
}): RoutePlugin {
  const { store, config, clock } = p;
  const view = async (e: Awaited<ReturnType<typeof store.listEscalations>>[number]) => {
    const policy = (await config.list('policy')).find((x) => x.id === e.policyId);
    return {
      ...e,
      nextAt: isoOrNull(e.nextAt),
      startedAt: iso(e.startedAt),
      updatedAt: iso(e.updatedAt),
      policyName: policy?.name ?? null,
      levels: policy?.levels.length ?? null,
    };
  };
  return async (app) => {
    app.get(
      '/api/v1/notifications/on-call',
      {
        config: { access: 'alarms.read' },
        schema: {
          summary: 'Who is on call now, per schedule',
          tags: ['notifications'],
          response: {
            200: z.object({ onCall: z.array(onCallSchema) }),
          },
        },
      },
      async () => ({ onCall: await p.service.onCall(clock()) }),
    );

    app.get(
      '/api/v1/notifications/escalations',
      {
        config: { access: 'alarms.read' },
        schema: {
          summary: 'Escalations of alarms, most recently changed first',
          tags: ['notifications'],
          querystring: z.strictObject({
            state: z.enum(['active', 'stopped', 'exhausted']).optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(200),
          }),
          response: { 200: z.object({ escalations: z.array(escalationSchema) }) },
        },
      },
      async (req) => {
        const list = await store.listEscalations({
          ...(req.query.state ? { state: req.query.state } : {}),
          limit: req.query.limit,
        });
        return { escalations: await Promise.all(list.map(view)) };
      },
    );

    app.get(
      '/api/v1/alarms/:id/notifications',
      {
        config: { access: 'alarms.read' },
        schema: {
          summary:
            "An alarm's notifications (channel, recipient, times, state) with every attempt and its provider response",
          tags: ['notifications', 'alarms'],
          params: z.strictObject({ id: z.string().min(1).max(200) }),
          response: {
            200: alarmNotificationsSchema,
          },
        },
      },
      async (req) => {
        const rows = await store.listOutbox({ alarmId: req.params.id, limit: 500 });
        const notifications = [];
        for (const r of rows) {
          const attemptLog = (await store.attempts(r.id)).map((a) => ({
            at: iso(a.at),
            ok: a.ok,
            response: a.response,
            durationMs: a.durationMs,
          }));
          notifications.push({ ...outboxView(r), attemptLog });
        }
        const e = await store.getEscalation(req.params.id);
        return { notifications, escalation: e ? await view(e) : null };
      },
    );

    app.get(
      '/api/v1/notifications/push',
      {
        config: { access: 'notifications.subscribe' },
        schema: {
          summary:
            "Web Push: the server's VAPID public key (null while the channel is off) and whether this user has opted in",
          tags: ['notifications'],
          response: { 200: z.object({ vapidPublicKey: z.string().nullable(), subscriptions: z.number() }) },
        },
      },
      async (req) => {
        const on = (await config.channelSettings('push')) !== null;
        const user = principalOf(req).name;
        return {
          vapidPublicKey: on ? (await config.vapid()).publicKey : null,
          subscriptions: (await store.listPushSubscriptions(user)).length,
        };
      },
    );

    app.post(
      '/api/v1/notifications/push/subscriptions',
      {
        config: { access: 'notifications.subscribe' },
        schema: {
          summary: "Opt this browser in to Web Push of alarms (the signed-in user's own)",
          tags: ['notifications'],
          body: subscriptionSchema,
          response: { 201: z.object({ ok: z.literal(true) }) },
        },
      },
      async (req, reply) => {
        const principal = principalOf(req);
        // A browser belongs to a person: API tokens have no browser to notify.
        if (principal.kind !== 'user')
          throw new VigilError('VIGIL_ERR_FORBIDDEN', 'push needs a user session');
        await store.putPushSubscription({
          userName: principal.name,
          endpoint: req.body.endpoint,
          p256dh: req.body.keys.p256dh,
          auth: req.body.keys.auth,
          createdAt: clock(),
        });
        return reply.code(201).send({ ok: true });
      },
    );

    app.post(
      '/api/v1/notifications/push/unsubscribe',
      {
        config: { access: 'notifications.subscribe' },
        schema: {
          summary: 'Opt this browser out of Web Push',
          tags: ['notifications'],
          body: z.strictObject({ endpoint: z.string().min(1).max(2000) }),
          response: { 200: z.object({ removed: z.boolean() }) },
        },
      },
      async (req) => ({
        removed: await store.deletePushSubscription(req.body.endpoint, principalOf(req).name),
      }),
    );
  };
}
