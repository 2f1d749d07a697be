import { type BenchEntry, errorRow } from '../entry.ts';
import { type RotationResult, rotationSummaryRows, runRotation } from '../rotation.ts';

/** Key rotation of a publishing fleet (1,000 devices, 200 with --quick) and certificate renewals. */
export const entry: BenchEntry<RotationResult> = {
  id: 'rotation',
  title: 'key rotation of a publishing fleet; certificate renewals',
  order: 77,
  inDefault: true,
  // A fleet of 1,000 mTLS devices and thousands of durable commands: 20 minutes more.
  extraTimeMs: () => 1_200_000,
  run: (ctx) =>
    runRotation(
      { devices: ctx.quick ? 200 : 1000, renewals: ctx.quick ? 50 : 200, phaseTimeoutMs: 600_000 },
      ctx.log,
    ),
  summary: (r) =>
    r
      ? rotationSummaryRows(r)
      : [errorRow('rotation', 'Key rotation of a publishing fleet', '0 readings lost')],
};
