import { z } from 'zod';
import type { SinkStatus } from '../sinks/sink-runner.ts';

const iso = z.string().nullable();

/** A sink in `/api/v1/system` (timestamps as ISO 8601 strings, as every newer API field). */
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

const isoOf = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function sinkStatusView(s: SinkStatus): SinkStatusView {
  return {
    ...s,
    lastSuccessAt: isoOf(s.lastSuccessAt),
    lastFailureAt: isoOf(s.lastFailureAt),
    failingSince: isoOf(s.failingSince),
    nextAttemptAt: isoOf(s.nextAttemptAt),
    outbox: { ...s.outbox, oldestReceivedAt: isoOf(s.outbox.oldestReceivedAt) },
  };
}
