import type { EventEmitter } from 'node:events';
import type { Aedes, Client } from 'aedes';
import type { Logger } from 'pino';
import { deviceTopic, parseDeviceTopic } from '../protocol/topics.ts';
import type { BrokerConn } from './broker-types.ts';

/** What {@link watchAedes} needs from the broker. */
export interface AedesWatch {
  log: Logger;
  topicPrefix: string;
  connOf(client: Client | null | undefined): BrokerConn | undefined;
  onConnectionError(client: Client, err: Error): void;
  /** A device's SUBACK granted its `commands` topic (see EmbeddedBrokerOptions). */
  onCommandSubscription?: ((deviceId: string) => void) | undefined;
}

/**
 * Follows Aedes' client life cycle: marks connections ready or not (for stats and takeovers),
 * logs connects, disconnects and client errors, reports a device's command subscription, and
 * listens to 'error' (persistence failures), which would otherwise crash the process.
 */
export function watchAedes(aedes: Aedes, w: AedesWatch): void {
  aedes.on('clientReady', (client) => {
    const conn = w.connOf(client);
    if (conn) conn.ready = true;
    w.log.info({ clientId: client.id, address: conn?.address }, 'mqtt client connected');
  });
  aedes.on('clientDisconnect', (client) => {
    const conn = w.connOf(client);
    if (conn) conn.ready = false;
    w.log.info({ clientId: client.id, address: conn?.address }, 'mqtt client disconnected');
  });
  aedes.on('subscribe', (subs, client) => {
    const identity = w.connOf(client)?.identity;
    if (!w.onCommandSubscription) return;
    if (identity?.kind === 'gateway') {
      // A gateway subscribed for a bound device (granted by the ACL): its commands can flow.
      for (const s of subs) {
        const t = parseDeviceTopic(w.topicPrefix, s.topic);
        if (t?.channel === 'commands' && identity.devices.has(t.deviceId))
          w.onCommandSubscription(t.deviceId);
      }
      return;
    }
    if (identity?.kind !== 'device') return;
    const commands = deviceTopic(w.topicPrefix, identity.id, 'commands');
    if (subs.some((s) => s.topic === commands)) w.onCommandSubscription(identity.id);
  });
  aedes.on('connectionError', (client, err) => w.onConnectionError(client, err));
  aedes.on('clientError', (client, err) => {
    w.log.debug({ clientId: client.id, err: err.message }, 'mqtt client error');
  });
  aedes.on('keepaliveTimeout', (client) => {
    w.log.info({ clientId: client.id }, 'mqtt keep-alive timeout');
  });
  (aedes as EventEmitter).on('error', (err: Error) => w.log.error({ err }, 'broker error'));
}
