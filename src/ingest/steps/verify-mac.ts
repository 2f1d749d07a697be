import { VigilError } from '../../errors.ts';
import { verifyEnvelopeMac } from '../../protocol/envelope.ts';
import type { MessageContext } from './message-context.ts';

/** §6.2 step 5: HMAC-SHA256 over `H | b` with the topic's channel, compared in constant time. */
export function verifyMac(ctx: MessageContext): void {
  if (!verifyEnvelopeMac(ctx.env, ctx.channel, ctx.keys.mac)) throw new VigilError('VIGIL_ERR_MAC_INVALID');
}
