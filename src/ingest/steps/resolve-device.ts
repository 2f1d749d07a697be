import { VigilError } from '../../errors.ts';
import type { MessageContext, StepDeps } from './message-context.ts';

/**
 * §6.2 step 4: a known, enabled device and an active key generation `kid`. A lookup that fails
 * is a storage failure (no PUBACK, the device redelivers), never a rejection.
 */
export async function resolveDevice(ctx: MessageContext, deps: StepDeps): Promise<void> {
  let resolved: Awaited<ReturnType<StepDeps['keyring']['resolve']>>;
  try {
    resolved = await deps.keyring.resolve(ctx.env.dev, ctx.env.kid);
  } catch (cause) {
    throw new VigilError('VIGIL_ERR_STORE', 'device lookup failed', { cause });
  }
  if (resolved instanceof VigilError) throw resolved;
  ctx.device = resolved.device;
  ctx.keys = resolved.keys;
}
