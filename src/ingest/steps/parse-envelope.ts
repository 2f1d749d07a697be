import { VigilError } from '../../errors.ts';
import { parseEnvelope } from '../../protocol/envelope.ts';
import type { MessageContext } from './message-context.ts';

/** §6.2 steps 2-3: size and strict schema (§5), and `dev` is the topic's device. */
export function parseEnvelopeStep(ctx: MessageContext): void {
  ctx.env = parseEnvelope(ctx.msg.payload);
  if (ctx.env.dev !== ctx.deviceId)
    throw new VigilError('VIGIL_ERR_TOPIC', 'envelope dev differs from topic');
}
