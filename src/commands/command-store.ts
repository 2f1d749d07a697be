/**
 * The commands storage port: durable server → device commands (docs/protocol.md §7.3) and the
 * per-device downlink `seq` counter. Adapters (SQLite, PostgreSQL) must all pass the
 * contract suite in `command-store-contract.ts`. Timestamps are ms since the Unix epoch.
 */

/** A command argument value: the flat scalars of protocol §7.3. */
export type CommandScalar = string | number | boolean | null;

/** `queued → sent → acked | expired` (an acked command has an outcome, ok or error). */
export type CommandState = 'queued' | 'sent' | 'acked' | 'expired';
export const COMMAND_STATES: readonly CommandState[] = ['queued', 'sent', 'acked', 'expired'];

export interface CommandRecord {
  /** RFC 9562 UUID, the `id` of the command body; the device executes it at most once. */
  id: string;
  deviceId: string;
  op: string;
  args: Record<string, CommandScalar>;
  state: CommandState;
  /** Set once acked: `ok` or `error` (the device's `ok:false`). */
  outcome: 'ok' | 'error' | null;
  /** The device's `error` text (acked with ok:false), or why the server gave up. */
  error: string | null;
  /** The device's `result` object, if any. */
  result: Record<string, CommandScalar> | null;
  /** Who queued it (`user:dana`, `cli`, `system`) and why (free text, audited). */
  createdBy: string;
  reason: string | null;
  createdAt: number;
  expiresAt: number;
  /** Last (re)send, how many sends, and the downlink seq of the last send. */
  sentAt: number | null;
  sendCount: number;
  downlinkSeq: number | null;
  ackedAt: number | null;
  updatedAt: number;
}

export interface CommandQuery {
  deviceId?: string;
  /** Only these states (default: all). */
  states?: readonly CommandState[];
  /** Default 100, at most 10000. Oldest first (queue order) unless `newestFirst`. */
  limit?: number;
  newestFirst?: boolean;
}

export interface CommandStore {
  /** Stores a new command (state `queued`). Throws VIGIL_ERR_COMMAND_EXISTS for a repeated id. */
  enqueue(cmd: CommandRecord): Promise<void>;
  get(id: string): Promise<CommandRecord | null>;
  /** Commands in queue order (the order they were enqueued). */
  list(q?: CommandQuery): Promise<CommandRecord[]>;
  /**
   * Takes the device's next downlink seq (persisted, strictly increasing, never reused) and records
   * a send of a `queued` or `sent` command in the same transaction. Returns null (and changes
   * nothing) when the command is no longer pending.
   */
  recordSend(id: string, at: number): Promise<{ seq: number; command: CommandRecord } | null>;
  /**
   * Records the device's ack of a pending command. Returns the updated command, or null when it
   * was not pending (unknown, already acked or expired): a late or repeated ack changes nothing.
   */
  recordAck(
    id: string,
    deviceId: string,
    ack: { ok: boolean; error?: string | undefined; result?: Record<string, CommandScalar> | undefined },
    at: number,
  ): Promise<CommandRecord | null>;
  /** Moves every pending command whose `expiresAt` ≤ now to `expired`; returns them. */
  expireDue(now: number): Promise<CommandRecord[]>;
  /** Devices that have pending (queued or sent) commands. */
  devicesWithPending(): Promise<string[]>;
  /** The next downlink seq the device will get (0 before its first command). */
  peekDownlinkSeq(deviceId: string): Promise<number>;
}
