import { VigilError } from '../../errors.ts';
import { envelopeNonce } from '../../protocol/envelope.ts';
import { ReplayGuard } from '../replay-guard.ts';
import type { MessageContext, StepDeps } from './message-context.ts';

/**
 * §6.2 step 7 (§6.3): check and record seq and nonce in the device's window. From here until the
 * message is queued for its transaction no step awaits, so check-and-accept and enqueue are one
 * step and the window's marks stay in queue order.
 */
export async function checkReplay(ctx: MessageContext, deps: StepDeps): Promise<void> {
  try {
    await deps.replay.load(ctx.env.dev);
  } catch (cause) {
    throw new VigilError('VIGIL_ERR_STORE', 'replay state lookup failed', { cause });
  }
  const taken = deps.replay.checkAndAccept(
    ctx.env.dev,
    ctx.env.seq,
    ReplayGuard.fingerprint(envelopeNonce(ctx.env)),
  );
  if (typeof taken === 'string') throw new VigilError(taken, `seq ${ctx.env.seq}`);
  ctx.mark = taken;
}
