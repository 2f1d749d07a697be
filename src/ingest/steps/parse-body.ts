import {
  assertEventConfidential,
  parseAckBody,
  parseEventBody,
  parseTelemetryBody,
} from '../../protocol/bodies.ts';
import type { MessageContext } from './message-context.ts';

/**
 * §6.2 step 9: the body schema of the channel and of the device's profile (§7), read as strict
 * JSON; an event that carries a secret must have come encrypted (§7.2).
 */
export function parseBody(ctx: MessageContext): void {
  switch (ctx.channel) {
    case 'telemetry':
      ctx.samples = parseTelemetryBody(ctx.device.profile, ctx.body);
      return;
    case 'events': {
      const ev = parseEventBody(ctx.body);
      assertEventConfidential(ev, ctx.env.alg);
      ctx.event = ev;
      return;
    }
    case 'acks':
      ctx.ack = parseAckBody(ctx.body);
      return;
  }
}
