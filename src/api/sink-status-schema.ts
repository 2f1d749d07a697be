/** A sink in `/api/v1/system`: a pure module (the dashboard reads its type through src/api/contract.ts). */
import { z } from 'zod';

const iso = z.string().nullable();

/** Timestamps as ISO 8601 strings, as every newer API field. */
export const sinkStatusSchema = z.object({
  name: z.string(),
  kind: z.enum(['influxdb', 'webhook', 'thingspeak']),
  target: z.string(),
  state: z.enum(['idle', 'ok', 'failing']),
  delivered: z.number().int(),
  failures: z.number().int(),
  refused: z.number().int(),
  lastSuccessAt: iso,
  lastFailureAt: iso,
  lastError: z.string().nullable(),
  failingSince: iso,
  nextAttemptAt: iso,
  outbox: z.object({ pending: z.number().int(), dropped: z.number().int(), oldestReceivedAt: iso }),
});

export type SinkStatusView = z.infer<typeof sinkStatusSchema>;
