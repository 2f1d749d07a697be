import { z } from 'zod';
import { iso, isoOrNull } from '../../iso-time.ts';
import { CHANNEL_SETTINGS, type SettingsChannel } from '../../notifications/channels/channel-settings.ts';
import {
  type ChannelView,
  ENTITY_SCHEMAS,
  type EntityKind,
  type NotificationConfig,
  parseOrRefuse,
} from '../../notifications/notification-config.ts';
import { CHANNELS, ENTITY_ID_RE, type Schedule } from '../../notifications/notification-model.ts';
import { outboxView } from '../../notifications/notification-service.ts';
import { sendTestNotification, type TestDeps } from '../../notifications/test-notification.ts';
import { actorOf } from '../access.ts';
import type { RoutePlugin } from '../api-deps.ts';
import { channelViewSchema, outboxSchema } from '../notification-schemas.ts';
import { principalOf } from './auth.ts';

/** The URL segment of each kind. */
const PATHS: Record<EntityKind, string> = {
  contact: 'contacts',
  group: 'groups',
  rule: 'rules',
  policy: 'policies',
  schedule: 'schedules',
};

const idParams = z.strictObject({ id: z.string().regex(ENTITY_ID_RE) });

/** An entity as the API shows it: a schedule's override times ISO 8601 UTC (stored as ms). */
function entityJson(kind: EntityKind, e: Record<string, unknown>): Record<string, unknown> {
  if (kind !== 'schedule' || !Array.isArray(e.overrides)) return e;
  const overrides = (e.overrides as Schedule['overrides']).map((o) => ({
    ...o,
    from: iso(o.from),
    to: iso(o.to),
  }));
  return { ...e, overrides };
}

/** A channel's settings as the API shows them (never its credential). */
const channelJson = (c: ChannelView) => ({ ...c, updatedAt: isoOrNull(c.updatedAt) });

/**
 * Notification administration (notifications.manage: admin, MFA; every change audited by
 * NotificationConfig): channels with their credentials (write-only), contacts, contact groups,
 * routing rules, escalation policies and on-call schedules (list, create or replace, delete), a
 * webhook secret's rotation (shown once), and test sends.
 */
export function notificationAdminRoutes(p: { config: NotificationConfig; test: TestDeps }): RoutePlugin {
  const { config } = p;
  return async (app) => {
    for (const kind of Object.keys(PATHS) as EntityKind[]) {
      const base = `/api/v1/notifications/${PATHS[kind]}`;
      const schema = ENTITY_SCHEMAS[kind];
      app.get(
        base,
        {
          config: { access: 'notifications.manage' },
          schema: {
            summary: `Notification ${PATHS[kind]}`,
            tags: ['notifications'],
            response: { 200: z.object({ [PATHS[kind]]: z.array(z.record(z.string(), z.unknown())) }) },
          },
        },
        async () => ({ [PATHS[kind]]: (await config.list(kind)).map((e) => entityJson(kind, e)) }),
      );
      app.put(
        `${base}/:id`,
        {
          config: { access: 'notifications.manage' },
          schema: {
            summary: `Create or replace a ${kind} (audited)`,
            description:
              kind === 'contact'
                ? 'A contact that gets a webhook URL gets a signing secret, returned once as `webhookSecret`.'
                : undefined,
            tags: ['notifications'],
            params: idParams,
            body: z.record(z.string(), z.unknown()),
            response: {
              200: z.object({
                [kind]: z.record(z.string(), z.unknown()),
                created: z.boolean(),
                webhookSecret: z.string().optional(),
              }),
            },
          },
        },
        async (req) => {
          const body = { ...req.body, id: req.params.id };
          // The route's contract is the entity's schema: refuse here what the schema refuses.
          parseOrRefuse(schema, body);
          const r = await config.put(kind, body, actorOf(principalOf(req)));
          return {
            [kind]: entityJson(kind, r.entity),
            created: r.created,
            ...(r.webhookSecret ? { webhookSecret: r.webhookSecret } : {}),
          };
        },
      );
      app.delete(
        `${base}/:id`,
        {
          config: { access: 'notifications.manage' },
          schema: { summary: `Delete a ${kind} (audited)`, tags: ['notifications'], params: idParams },
        },
        async (req, reply) => {
          await config.remove(kind, req.params.id, actorOf(principalOf(req)));
          return reply.code(204).send();
        },
      );
    }

    app.post(
      '/api/v1/notifications/contacts/:id/webhook-secret',
      {
        config: { access: 'notifications.manage' },
        schema: {
          summary: "A new signing secret for a contact's webhook, shown once (audited)",
          tags: ['notifications'],
          params: idParams,
          response: { 200: z.object({ webhookSecret: z.string() }) },
        },
      },
      async (req) => ({
        webhookSecret: await config.rotateWebhookSecret(req.params.id, actorOf(principalOf(req))),
      }),
    );

    app.get(
      '/api/v1/notifications/channels',
      {
        config: { access: 'notifications.manage' },
        schema: {
          summary: 'Channel settings (credentials are never returned, only whether one is set)',
          tags: ['notifications'],
          response: {
            200: z.object({ channels: z.array(channelViewSchema), vapidPublicKey: z.string().nullable() }),
          },
        },
      },
      async () => {
        const channels = (await config.channels()).map(channelJson);
        const push = channels.find((c) => c.channel === 'push');
        return { channels, vapidPublicKey: push?.settings ? (await config.vapid()).publicKey : null };
      },
    );

    app.put(
      '/api/v1/notifications/channels/:channel',
      {
        config: { access: 'notifications.manage' },
        schema: {
          summary: "Set a channel's settings and, optionally, its credential (audited without it)",
          description:
            '`secret`: the SMTP password or the SMS/voice provider token; omit to keep the stored one, null to remove it.',
          tags: ['notifications'],
          params: z.strictObject({
            channel: z.enum(Object.keys(CHANNEL_SETTINGS) as [SettingsChannel, ...SettingsChannel[]]),
          }),
          body: z.strictObject({
            settings: z.record(z.string(), z.unknown()),
            secret: z.string().max(4096).nullable().optional(),
          }),
          response: { 200: z.object({ channel: channelViewSchema }) },
        },
      },
      async (req) => ({
        channel: channelJson(
          await config.putChannel(
            req.params.channel,
            req.body.settings,
            req.body.secret,
            actorOf(principalOf(req)),
          ),
        ),
      }),
    );

    app.post(
      '/api/v1/notifications/test',
      {
        config: { access: 'notifications.manage' },
        schema: {
          summary:
            'Send a test notification now through one channel; the provider response is returned and recorded',
          description:
            '`to`: an e-mail address, an E.164 number (sms, voice), a webhook contact (URL or contact id), or a user name (push).',
          tags: ['notifications'],
          body: z.strictObject({ channel: z.enum(CHANNELS), to: z.string().min(1).max(2000) }),
          response: { 200: z.object({ notifications: z.array(outboxSchema) }) },
        },
      },
      async (req) => {
        const rows = await sendTestNotification(
          p.test,
          req.body.channel,
          req.body.to,
          actorOf(principalOf(req)),
        );
        return { notifications: rows.map(outboxView) };
      },
    );
  };
}
