import { CommandService } from '../commands/command-service.ts';
import type { CommandRecord } from '../commands/command-store.ts';
import type { VigilContext } from '../data-dir/context.ts';

/** The command service and the lifecycle ops registered on it, over one data directory. */
export interface LifecycleServices {
  commands: CommandService;
}

/**
 * Builds the command service with every lifecycle op registered (rotation, renewal, trust
 * bundle). Any `vigil` process may build it: commands queued by the CLI are sent by the process
 * that has a transport (`vigil start`).
 */
export function createLifecycleServices(
  ctx: VigilContext,
  o: { onCommandChange?: (cmd: CommandRecord) => void } = {},
): LifecycleServices {
  const { config } = ctx;
  const commands = new CommandService({
    commands: ctx.commandStore,
    store: ctx.store,
    master: ctx.master,
    clock: ctx.clock,
    logger: ctx.logger.child({ component: 'commands' }),
    topicPrefix: config.mqtt.topicPrefix,
    defaultTtlMs: config.commands.defaultTtlSeconds * 1000,
    resendAfterMs: config.commands.resendAfterSeconds * 1000,
    ...(o.onCommandChange ? { onChange: o.onCommandChange } : {}),
  });
  return { commands };
}
