import { openEnvelope } from '../../protocol/envelope.ts';
import type { MessageContext } from './message-context.ts';

/** §6.2 step 8: AEAD decrypt with aad = H (alg `none`: `b` is the body). Only after the MAC verified. */
export function decryptBody(ctx: MessageContext): void {
  ctx.body = openEnvelope(ctx.env, ctx.channel, ctx.keys.enc);
}
