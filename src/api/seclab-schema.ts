/**
 * `GET /api/v1/seclab`: the last `vigil seclab` run kept in the data directory, as the system page
 * shows it, and the run in progress. The route serialises with these schemas; the dashboard reads
 * the inferred types through src/api/contract.ts.
 */
import { z } from 'zod';

export const seclabRunSchema = z.object({
  id: z.string(),
  mode: z.enum(['quick', 'full']),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  target: z.enum(['throwaway', 'data-dir']),
  summary: z.object({
    scenarios: z.number(),
    refused: z.number(),
    gotThrough: z.number(),
    degraded: z.number(),
    skipped: z.number(),
    errors: z.number(),
    worstDegradation: z.object({ id: z.string(), p99Ratio: z.number(), successRate: z.number() }).nullable(),
  }),
  /** Every scenario that was not simply refused, and the families that ran. */
  notable: z.array(z.object({ id: z.string(), verdict: z.string(), observed: z.string() })),
  families: z.array(z.string()),
  files: z.object({ report: z.string(), json: z.string() }),
});

/** A run in progress (also the answer of starting one). */
export const seclabRunningSchema = z.object({ id: z.string(), startedAt: z.string() });

export const seclabStateSchema = z.object({
  latest: seclabRunSchema.nullable(),
  running: seclabRunningSchema.nullable(),
});

/** The last `vigil seclab` run kept in the data directory, as the system page shows it. */
export type SeclabRunView = z.infer<typeof seclabRunSchema>;
/** `GET /api/v1/seclab`. */
export type SeclabStateView = z.infer<typeof seclabStateSchema>;
