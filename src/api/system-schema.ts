/** `GET /api/v1/system` and the live feed's `system` messages (src/api/system-status.ts). */
import { z } from 'zod';
import {
  backupStatusSchema,
  brokersSchema,
  diskStatusSchema,
  powerStatusSchema,
} from '../continuity/continuity-schema.ts';
import { isoTime } from '../iso-time.ts';
import { sinkStatusSchema } from './sink-status-schema.ts';

export const certSchema = z.object({
  subject: z.string().nullable(),
  serial: z.string(),
  notAfter: isoTime,
  daysLeft: z.number().int(),
});

export const systemSchema = z.object({
  now: isoTime,
  uptimeS: z.number(),
  broker: z.object({
    mode: z.enum(['embedded', 'external']),
    listeners: z.array(
      z.object({ protocol: z.literal('mqtts'), address: z.string().nullable(), port: z.number().nullable() }),
    ),
    connections: z
      .object({ tcp: z.number(), sessions: z.number(), devices: z.number(), services: z.number() })
      .nullable(),
    /** External brokers with Mosquitto's dropped-message and store counters ($SYS, read by the backend). */
    external: z.array(
      z.object({
        address: z.string(),
        port: z.number(),
        connected: z.boolean(),
        droppedMessages: z.number().nullable(),
        storedMessages: z.number().nullable(),
        storedBytes: z.number().nullable(),
      }),
    ),
  }),
  ingest: z.object({
    accepted: z.number(),
    rejected: z.number(),
    readings: z.number(),
    commits: z.number(),
    lastCommitMs: z.number(),
    throughput: z.object({
      acceptedPerSec: z.number(),
      readingsPerSec: z.number(),
      rejectedPerSec: z.number(),
      windowMs: z.number(),
    }),
  }),
  rejections: z.object({
    sinceStart: z.record(z.string(), z.number()),
    persisted: z.record(z.string(), z.number()),
  }),
  storage: z.object({
    files: z.array(z.object({ name: z.string(), bytes: z.number() })),
    totalBytes: z.number(),
  }),
  certificates: z.object({ server: certSchema, ca: certSchema }),
  backup: backupStatusSchema.nullable(),
  power: powerStatusSchema.nullable(),
  disk: diskStatusSchema.nullable(),
  readOnly: z.boolean(),
  continuity: z.object({
    brokers: brokersSchema,
    offline: z.array(z.string()),
    brokerReachable: z.boolean().nullable(),
    onBatteryOrBackup: z.array(z.string()),
    buffering: z.array(z.string()),
    bufferingWindowMs: z.number(),
    devices: z.array(
      z.object({
        id: z.string(),
        power: z.string().nullable(),
        batPct: z.number().nullable(),
        online: z.boolean(),
        offlineSince: isoTime.nullable(),
        broker: z.string().nullable(),
        buffered: z.number().nullable(),
        buffering: z.boolean(),
        lastBackfillAt: isoTime.nullable(),
      }),
    ),
  }),
  /** Configured sinks (InfluxDB, webhooks); empty when none. */
  sinks: z.array(sinkStatusSchema),
});

export type SystemStatusView = z.infer<typeof systemSchema>;
