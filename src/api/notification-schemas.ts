/**
 * Notifications as the API serialises them (on-call, escalations, an alarm's notifications,
 * channel settings): part of the contract of src/api/schemas.ts, imported by the dashboard as types.
 */
import { z } from 'zod';
import { isoTime } from '../iso-time.ts';
import { CHANNELS } from '../notifications/notification-model.ts';

export const escalationSchema = z.object({
  alarmId: z.string(),
  policyId: z.string(),
  policyName: z.string().nullable(),
  ruleId: z.string(),
  /** Escalation notifications made so far (0: only the first notice). */
  sent: z.number(),
  /** Levels of the policy (its last level repeats). */
  levels: z.number().nullable(),
  nextAt: isoTime.nullable(),
  state: z.enum(['active', 'stopped', 'exhausted']),
  reason: z.string().nullable(),
  startedAt: isoTime,
  updatedAt: isoTime,
});

export const outboxSchema = z.object({
  id: z.number(),
  alarmId: z.string().nullable(),
  event: z.string(),
  channel: z.enum(CHANNELS),
  contactId: z.string().nullable(),
  recipient: z.string(),
  escalationLevel: z.number(),
  level: z.string().nullable(),
  state: z.string(),
  attempts: z.number(),
  nextAttemptAt: isoTime.nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
  sentAt: isoTime.nullable(),
  lastResponse: z.string().nullable(),
  subject: z.string(),
});

export const channelViewSchema = z.object({
  channel: z.enum(['email', 'sms', 'webhook', 'push']),
  settings: z.record(z.string(), z.unknown()).nullable(),
  hasSecret: z.boolean(),
  updatedAt: isoTime.nullable(),
});

/** `GET /api/v1/notifications/on-call`: one schedule's current contact. */
export const onCallSchema = z.object({
  scheduleId: z.string(),
  scheduleName: z.string(),
  contactId: z.string().nullable(),
  contactName: z.string().nullable(),
  since: isoTime.nullable(),
  until: isoTime.nullable(),
  override: z.boolean(),
});

/** `GET /api/v1/alarms/:id/notifications`: every notification with its attempts, and the escalation. */
export const alarmNotificationsSchema = z.object({
  notifications: z.array(
    outboxSchema.extend({
      attemptLog: z.array(
        z.object({
          at: isoTime,
          ok: z.boolean(),
          response: z.string(),
          durationMs: z.number(),
        }),
      ),
    }),
  ),
  escalation: escalationSchema.nullable(),
});
