import { VigilError } from '../../errors.ts';
import type { MessageContext, StepDeps } from './message-context.ts';

/**
 * §6.2 step 9: every sample `ts` and an event's own `ts` are at most `maxFutureSkewMs` ahead, as
 * the envelope's. An old `ts` is legal (backfill).
 */
export function checkSampleTimes(ctx: MessageContext, deps: StepDeps): void {
  const limit = ctx.now + deps.maxFutureSkewMs;
  for (const s of ctx.samples ?? []) {
    if (s.ts > limit) throw new VigilError('VIGIL_ERR_TS_FUTURE', `sample ts ${s.ts - ctx.now} ms ahead`);
  }
  const evTs = ctx.event?.ts;
  if (evTs !== undefined && evTs > limit) {
    throw new VigilError('VIGIL_ERR_TS_FUTURE', `event ts ${evTs - ctx.now} ms ahead`);
  }
}
