import type { Channel } from '../protocol/envelope.ts';
import type { CommandStats } from './device-ops.ts';
import type { ReconnectSettings } from './reconnect-policy.ts';

/** What a simulated device counts, and how it is built (src/sim/sim-device.ts). */

export interface SimDeviceStats extends CommandStats {
  /** Samples recorded by the model. */
  recorded: number;
  sent: number;
  acked: number;
  /** Samples and events in the outbox (not yet acknowledged). */
  buffered: number;
  errors: number;
  connected: boolean;
  /** The broker of the current (or last) connection. */
  broker: string | null;
  /** Connections made to a broker other than the primary. */
  failovers: number;
  /** Samples dropped because the outbox was full. */
  dropped: number;
  /** The last connection or publish error (a TLS verification failure names the certificate problem). */
  lastError: string | undefined;
}

/** One envelope of the device and its PUBACK, for tools that measure the round trip. */
export interface PublishResult {
  channel: Channel;
  seq: number;
  /** `performance.now()` when this envelope was last published, and when its PUBACK arrived. */
  sentAt: number;
  doneAt: number;
}

export interface SimDeviceOptions {
  /** One broker instead of the bundle's list. */
  brokerUrl?: string | undefined;
  /** The ordered broker list instead of the bundle's. */
  brokers?: readonly string[];
  reconnect?: Partial<ReconnectSettings>;
  /** Outbox bound in records (default 20000). */
  outboxMax?: number;
  /** Called on every connection with the broker and the time since the link was lost (ms). */
  onConnect?: (broker: string, downMs: number | null) => void;
  /**
   * Called once an envelope's PUBACK arrives. A publish lost with its connection is not reported:
   * the outbox sends it again, unchanged, after reconnecting.
   */
  onPublished?: (r: PublishResult) => void;
  /** connect() gives up at the first connection error instead of waiting for a retry. */
  failFast?: boolean;
}
