import { z } from 'zod';

/**
 * The continuity parts of /api/v1/system: the one contract of the report the continuity service
 * builds, the route's response schema and the dashboard's types (times ISO 8601, durations `Ms`).
 */
const isoTime = z.string();

export const backupStatusSchema = z.object({
  configured: z.boolean(),
  recipients: z.number().int(),
  intervalMinutes: z.number(),
  hookConfigured: z.boolean(),
  newest: z.object({ file: z.string(), createdAt: isoTime, bytes: z.number(), ageMs: z.number() }).nullable(),
  lastFailure: z.object({ at: isoTime, error: z.string() }).nullable(),
  lastVerify: z
    .object({ at: isoTime, file: z.string(), ok: z.boolean(), error: z.string().optional() })
    .nullable(),
  lastDrill: z
    .object({
      at: isoTime,
      file: z.string().nullable(),
      ok: z.boolean(),
      rpoMs: z.number().nullable(),
      rtoMs: z.number().nullable(),
      error: z.string().optional(),
    })
    .nullable(),
  lastHook: z
    .object({
      at: isoTime,
      file: z.string(),
      ok: z.boolean(),
      exitCode: z.number().nullable(),
      durationMs: z.number(),
      error: z.string().optional(),
    })
    .nullable(),
  nextAt: isoTime.nullable(),
  running: z.boolean(),
});

export const upsStatusSchema = z.object({
  ups: z.string(),
  host: z.string(),
  port: z.number(),
  reachable: z.boolean(),
  status: z.array(z.string()),
  onBattery: z.boolean(),
  lowBattery: z.boolean(),
  chargePct: z.number().nullable(),
  runtimeS: z.number().nullable(),
  onBatterySince: isoTime.nullable(),
  lastPollAt: isoTime.nullable(),
  error: z.string().nullable(),
});

export const devicePowerSchema = z.object({
  counts: z.object({ mains: z.number(), battery: z.number(), backup: z.number(), unknown: z.number() }),
  devices: z.array(
    z.object({
      id: z.string(),
      power: z.string().nullable(),
      batPct: z.number().nullable(),
      slopePctPerHour: z.number().nullable(),
      runtimeHours: z.number().nullable(),
      emptyAt: isoTime.nullable(),
    }),
  ),
  shipmentWarnings: z.array(
    z.object({ shipmentId: z.string(), deviceId: z.string(), plannedArrival: isoTime, emptyAt: isoTime }),
  ),
});

export const powerStatusSchema = z.object({ ups: upsStatusSchema.nullable(), devices: devicePowerSchema });

export const diskStatusSchema = z.object({
  freeBytes: z.number().nullable(),
  totalBytes: z.number().nullable(),
  dbBytes: z.number(),
  growthBytesPerDay: z.number().nullable(),
  forecastDays: z.number().nullable(),
  minFreeDays: z.number(),
  full: z.object({ since: isoTime, detail: z.string() }).nullable(),
});

export const brokersSchema = z.array(
  z.object({ url: z.string(), primary: z.boolean(), devices: z.array(z.string()) }),
);

export type BackupStatus = z.infer<typeof backupStatusSchema>;
export type UpsStatusView = z.infer<typeof upsStatusSchema>;
export type DevicePower = z.infer<typeof devicePowerSchema>;
export type PowerStatus = z.infer<typeof powerStatusSchema>;
export type DiskStatusView = z.infer<typeof diskStatusSchema>;
export type BrokerPlacement = z.infer<typeof brokersSchema>;

/** What the system page's continuity section and /metrics report. */
export interface ContinuityReport {
  backup: BackupStatus;
  ups: UpsStatusView | null;
  devicePower: DevicePower;
  disk: DiskStatusView;
  /** The advertised brokers (primary first) and the devices whose latest `link` names each. */
  brokers: BrokerPlacement;
  /** Mutating API requests are refused (disk full). */
  readOnly: boolean;
}
