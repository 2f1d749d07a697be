import { VigilError } from '../../errors.ts';
import type { MessageContext, StepDeps } from './message-context.ts';

/**
 * §6.2 step 6: the envelope `ts` is at most `maxFutureSkewMs` ahead. Before the replay window, so
 * a message refused for its clock does not use up its seq.
 */
export function checkEnvelopeTime(ctx: MessageContext, deps: StepDeps): void {
  if (ctx.env.ts > ctx.now + deps.maxFutureSkewMs) {
    throw new VigilError('VIGIL_ERR_TS_FUTURE', `${ctx.env.ts - ctx.now} ms ahead`);
  }
}
