import { VigilError } from '../errors.ts';
import { checkOutput } from '../protocol/device-outputs.ts';
import type { Store } from '../storage/store.ts';
import type { CommandOpHandler } from './command-ops.ts';

/**
 * `set_output {name, value}` (docs/protocol.md §7.4): checked against the outputs the device's
 * profile declares before it is stored, so a wrong name or value never reaches a device.
 */
export function setOutputOp(store: Store): CommandOpHandler {
  return {
    async prepare(ctx, args) {
      const device = await store.getDevice(ctx.deviceId);
      if (!device) throw new VigilError('VIGIL_ERR_NOT_FOUND', `device ${ctx.deviceId}`);
      const why = checkOutput(device.profile, args.name, args.value);
      if (why) throw new VigilError('VIGIL_ERR_COMMAND_INVALID', why);
      return { name: args.name as string, value: args.value as number | boolean };
    },
  };
}
