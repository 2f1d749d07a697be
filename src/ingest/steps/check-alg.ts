import { VigilError } from '../../errors.ts';
import type { MessageContext } from './message-context.ts';

/**
 * The alg is bound to the device at provisioning (docs/protocol.md §4): otherwise a holder of
 * K_mac alone (a gateway) could forge `alg: "none"` envelopes and defeat the K_enc / K_mac split.
 */
export function checkAlg(ctx: MessageContext): void {
  if (ctx.env.alg !== ctx.device.alg) {
    throw new VigilError('VIGIL_ERR_ALG_MISMATCH', `${ctx.env.alg} (provisioned ${ctx.device.alg})`);
  }
}
