import { z } from 'zod';
import {
  backupStatusSchema,
  brokersSchema,
  diskStatusSchema,
  powerStatusSchema,
} from '../../continuity/continuity-schema.ts';
import type { RoutePlugin } from '../api-deps.ts';
import type { StatusSources } from '../ports.ts';
import { systemStatus } from '../system-status.ts';

const cert = z.object({
  subject: z.string().nullable(),
  serial: z.string(),
  notAfter: z.number(),
  daysLeft: z.number().int(),
});

const systemSchema = z.object({
  now: z.number(),
  uptimeS: z.number(),
  broker: z.object({
    mode: z.enum(['embedded', 'external']),
    listeners: z.array(
      z.object({ protocol: z.literal('mqtts'), address: z.string().nullable(), port: z.number().nullable() }),
    ),
    connections: z
      .object({ tcp: z.number(), sessions: z.number(), devices: z.number(), services: z.number() })
      .nullable(),
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
  certificates: z.object({ server: cert, ca: cert }),
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
        offlineSince: z.number().nullable(),
        broker: z.string().nullable(),
        buffered: z.number().nullable(),
        buffering: z.boolean(),
        lastBackfillAt: z.number().nullable(),
      }),
    ),
  }),
});

/** System status for the dashboard's system page. */
export function systemRoutes(status: StatusSources): RoutePlugin {
  return async (app, { runtime }) => {
    app.get(
      '/api/v1/system',
      {
        config: { access: 'system.read' },
        schema: {
          summary:
            'Broker listeners and connections, ingest throughput, rejections, storage, certificates, backup, continuity',
          description:
            '`backup`: schedule, newest backup, last verify, drill (RPO/RTO) and off-site hook; `power`: the host UPS ' +
            '(NUT) and device power with battery runtimes; `disk`: free space, forecast, disk-full state (`readOnly`). ' +
            '`continuity`: brokers and the devices on each, devices offline, devices whose latest reading ' +
            'reports battery or backup power, devices that delivered backfill within `bufferingWindowMs` (they ' +
            'were buffering while offline; counted since the server started) and whether the broker is reachable.',
          tags: ['system'],
          response: { 200: systemSchema },
        },
      },
      async () => systemStatus(status, runtime),
    );
  };
}
