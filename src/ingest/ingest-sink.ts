import type { ErrorCode } from '../errors.ts';

/** One MQTT PUBLISH as it reached Vigil, from the embedded broker or an external-broker link. */
export interface InboundMessage {
  topic: string;
  payload: Buffer;
  /** When Vigil received it (ms since epoch). */
  receivedAt: number;
  /** The authenticated publisher (certificate CN) when the broker knows it; undefined via an external broker. */
  publisher?: string;
  /** Remote address, for audit; never trusted for authorisation. */
  address?: string;
  /**
   * `topic` already parsed by the broker (device id and last segment), so a message's topic is
   * parsed once; the pipeline parses `topic` itself when this is absent.
   */
  route?: { deviceId: string; channel: string };
}

export type IngestResult =
  | { ok: true; deviceId: string; channel: string; seq: number; duplicate?: false }
  | { ok: false; code: ErrorCode; deviceId?: string };

/**
 * The port a broker (embedded or external link) feeds. `ingest` resolves only once an accepted
 * message is durable, so the caller may acknowledge it (PUBACK) afterwards. A rejected message
 * resolves with `ok: false` (it is counted and audited by the pipeline; acknowledge it and drop it).
 * It rejects (throws) only when storage failed: then the caller must NOT acknowledge, so the
 * device keeps the message and redelivers it.
 */
export interface IngestSink {
  ingest(msg: InboundMessage): Promise<IngestResult>;
}
