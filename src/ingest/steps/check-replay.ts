import { VigilError } from '../../errors.ts';
import { envelopeNonce } from '../../protocol/envelope.ts';
import { ReplayGuard } from '../replay-guard.ts';
import type { MessageContext, StepDeps } from './message-context.ts';

/**
 * How many times a copy waits for another copy of its seq to settle before it gives up (each wait
 * ends with a commit or a failure of that copy's transaction; more than two copies in flight at
 * once is already unusual).
 */
const MAX_WAITS = 8;

/**
 * §6.2 step 7 (§6.3): check and record seq and nonce in the device's window. From here until the
 * message is queued for its transaction no step awaits, so check-and-accept and enqueue are one
 * step and the window's marks stay in queue order.
 *
 * A seq that another copy of the message holds while its transaction is pending (a device that
 * lost its connection redelivers what was not acknowledged yet) is not refused at once: refusing
 * it would acknowledge the copy before the original is stored, and a failed transaction would
 * then lose a reading the device was told is safe. The copy waits until the original settles:
 * stored, it is refused as a replay (and acknowledged); given back, it is judged again and taken.
 */
export async function checkReplay(ctx: MessageContext, deps: StepDeps): Promise<void> {
  try {
    await deps.replay.load(ctx.env.dev);
  } catch (cause) {
    throw new VigilError('VIGIL_ERR_STORE', 'replay state lookup failed', { cause });
  }
  const fp = ReplayGuard.fingerprint(envelopeNonce(ctx.env));
  for (let waits = 0; ; waits++) {
    const taken = deps.replay.checkAndAccept(ctx.env.dev, ctx.env.seq, fp, ctx.now - ctx.env.ts);
    if (typeof taken !== 'string') {
      ctx.mark = taken;
      return;
    }
    const pending = deps.replay.settled(ctx.env.dev, ctx.env.seq);
    if (!pending) throw new VigilError(taken, `seq ${ctx.env.seq}`);
    // Not stored yet and not refused: no acknowledgement; the device redelivers it later.
    if (waits >= MAX_WAITS) throw new VigilError('VIGIL_ERR_STORE', `seq ${ctx.env.seq} still pending`);
    await pending;
  }
}
