import type { CommandRecord, CommandScalar } from './command-store.ts';

/** What the command service hands an op's hooks. */
export interface CommandOpContext {
  deviceId: string;
  actor: string;
}

/**
 * Server-side behaviour of one op, registered with the command service: the extension point for
 * ops that need server state (`rotate_key` makes a key, `cert` carries a certificate, `ota` will
 * carry an image reference). Ops without a registration are sent as given.
 */
export interface CommandOpHandler {
  /**
   * True when only Vigil itself may send the op (its args come from server state, e.g. `cert`):
   * the API and CLI refuse it.
   */
  internal?: boolean;
  /**
   * Checks the caller's args and returns the args to send (may add server-made values, such as
   * the ephemeral key of `rotate_key`). Throws VigilError to refuse. `id` is the command's id.
   */
  prepare?(
    ctx: CommandOpContext,
    args: Record<string, CommandScalar>,
    id: string,
  ): Promise<Record<string, CommandScalar>>;
  /**
   * The command is about to be published to the device (first send or a resend), whichever
   * process queued it: the op's server state must be ready for the device's answer by then.
   */
  onSend?(cmd: CommandRecord): Promise<void>;
  /** The device acknowledged the command (ok or error). */
  onAck?(cmd: CommandRecord): Promise<void>;
  /** The command expired without an ack. */
  onExpired?(cmd: CommandRecord): Promise<void>;
}

/** The ops the simulator (and a full device) implements (docs/protocol.md §7.4). */
export const DEVICE_OPS = [
  'set_interval',
  'set_limits',
  'reboot',
  'identify',
  'rotate_key',
  'renew_cert',
  'cert',
  'trust_bundle',
  'ota',
  'set_output',
] as const;
