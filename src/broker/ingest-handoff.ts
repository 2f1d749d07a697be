import type { PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { InboundMessage, IngestSink } from '../ingest/ingest-sink.ts';
import type { BrokerClaim, BrokerConn } from './broker-types.ts';

/** What {@link handOffToSink} needs besides the packet. */
export interface HandOff {
  sink: IngestSink;
  log: Logger;
  receivedAt: number;
  /** Payloads the sink rejected: acknowledged, but the broker must never forward them. */
  rejected: WeakSet<Buffer>;
}

/**
 * Hands a telemetry, events or acks PUBLISH to the ingest sink; `cb` (which sends the PUBACK)
 * runs only once the sink resolved, so a PUBACK means durable. Ingest starts at once, so one
 * client's messages share a group commit; only the callbacks are chained on `conn.chain`, so
 * PUBACKs still leave in PUBLISH order (MQTT 3.1.1 §4.6).
 */
export function handOffToSink(
  conn: BrokerConn,
  packet: PublishPacket,
  route: NonNullable<InboundMessage['route']>,
  h: HandOff,
  cb: (err?: Error | null) => void,
): void {
  const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
  const msg: InboundMessage = {
    topic: packet.topic,
    payload,
    receivedAt: h.receivedAt,
    publisher: conn.cn,
    address: conn.address,
    // Parsed once, by the broker's publish check: the pipeline does not parse the topic again.
    route,
  };
  const outcome = h.sink.ingest(msg).then(
    (res) => {
      // Rejected by the pipeline (counted and audited there): acknowledge, never forward.
      if (!res.ok) h.rejected.add(payload);
      return null;
    },
    (err: unknown) => {
      // Storage failed: no PUBACK; Aedes closes the connection and the device redelivers.
      h.log.error({ err, clientId: conn.cn }, 'ingest failed; not acknowledging');
      return err instanceof Error ? err : new Error('ingest failed');
    },
  );
  conn.chain = conn.chain.then(async () => cb(await outcome));
}

/**
 * Hands a claim PUBLISH (docs/protocol.md §14) to the claim service; like an ingest, the PUBACK
 * (`cb`) waits for it and keeps PUBLISH order. A claim goes to the claim service only: it is
 * marked `rejected`, so it is never forwarded to a subscriber.
 */
export function handOffClaim(
  conn: BrokerConn,
  packet: PublishPacket,
  serial: string,
  h: { onClaim: (claim: BrokerClaim) => Promise<void>; log: Logger; rejected: WeakSet<Buffer> },
  cb: (err?: Error | null) => void,
): void {
  const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
  h.rejected.add(payload);
  const done = h.onClaim({ batchCn: conn.cn, serial, payload, address: conn.address }).then(
    () => null,
    (err: unknown) => {
      h.log.error({ err, clientId: serial }, 'claim handling failed; not acknowledging');
      return err instanceof Error ? err : new Error('claim failed');
    },
  );
  conn.chain = conn.chain.then(async () => cb(await done));
}

/**
 * Hands a gateway's status report (docs/gateway.md) to the gateway registry; like a claim it is
 * never forwarded to a subscriber, and its PUBACK keeps PUBLISH order.
 */
export function handOffGatewayStatus(
  conn: BrokerConn,
  packet: PublishPacket,
  gatewayId: string,
  h: {
    onStatus: ((gatewayId: string, payload: Buffer) => Promise<void>) | undefined;
    log: Logger;
    rejected: WeakSet<Buffer>;
  },
  cb: (err?: Error | null) => void,
): void {
  const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
  h.rejected.add(payload);
  const done = (h.onStatus?.(gatewayId, payload) ?? Promise.resolve()).then(
    () => null,
    (err: unknown) => {
      h.log.error({ err, clientId: gatewayId }, 'gateway status handling failed');
      return null;
    },
  );
  conn.chain = conn.chain.then(async () => cb(await done));
}
