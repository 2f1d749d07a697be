/**
 * The links of one ingest process to the external brokers (`mqtt.external.url` and
 * `mqtt.external.urls`): one MQTT v5 shared-subscription link per broker, all feeding the same
 * pipeline (shared subscriptions with several workers, see `shared`), so every worker takes messages from every broker (redundant brokers: a device that
 * fails over from A to B is still read). Each link also follows Mosquitto's dropped-message
 * counter; a value above 0 means the broker discarded messages it had acknowledged to a device,
 * and opens a critical alarm (resolved when the counter is 0 again, after a broker restart).
 */
import type { Logger } from 'pino';
import type { AlarmStore } from '../alarms/alarm-store.ts';
import { BROKER_STAT_TOPICS } from '../broker/mosquitto-config.ts';
import { type MqttLink, type MqttLinkOptions, startMqttLink } from '../broker/mqtt-link.ts';
import type { VigilConfig } from '../config/schema.ts';
import type { IngestSink } from '../ingest/ingest-sink.ts';

/** One external broker as the system page and /metrics show it. */
export interface ExternalBrokerStatus {
  address: string;
  port: number;
  connected: boolean;
  /** `$SYS/broker/publish/messages/dropped`: messages the broker dropped (queue or in-flight limits). */
  droppedMessages: number | null;
  /** `$SYS/broker/store/messages/count` and `.../bytes`: what the broker holds. */
  storedMessages: number | null;
  storedBytes: number | null;
}

export interface BrokerLinksOptions {
  urls: readonly string[];
  config: VigilConfig;
  /** The service identity (certificate CN = client id): `vigil-ingest`, `vigil-ingest-N`. */
  identity: { name: string; certPem: string; keyPem: string };
  caPem: string;
  sink: IngestSink;
  logger: Logger;
  /**
   * Subscribe as `$share/<group>/...` (several ingest workers split the load) or plainly (the only
   * ingest process). Mosquitto 2.0 restores a persistent session's plain subscriptions after a
   * restart but not its shared ones: until the worker subscribes again, messages devices publish
   * have no subscriber and are discarded (measured with 2.0.11). A single ingest process therefore
   * subscribes plainly, which is lossless across broker restarts.
   */
  shared: boolean;
  /** Where the dropped-messages alarm is written; none: not alarmed (a process without rules). */
  alarms?: AlarmStore;
  clock: () => number;
  /** Each device's `state` (online / offline): pending commands go out when a device comes back. */
  onDeviceState?: MqttLinkOptions['onDeviceState'];
  /** Claims (docs/protocol.md §14) published on `{p}/claims/{serial}`. */
  onClaim?: MqttLinkOptions['onClaim'];
  /** Gateway status reports (docs/gateway.md) on `{p}/gateways/{id}/status`. */
  onGatewayStatus?: MqttLinkOptions['onGatewayStatus'];
}

export interface BrokerLinks {
  /** Connected to at least one broker. */
  stats(): { connected: boolean };
  brokers(): ExternalBrokerStatus[];
  waitUntilSubscribed(timeoutMs: number): Promise<void>;
  /**
   * Publishes QoS 1 (a sealed command; a claim reply, retained) on every connected broker: a
   * device is connected to one of them. Resolves once one broker took it.
   */
  publish(topic: string, payload: string, retain?: boolean): Promise<void>;
  close(): Promise<void>;
}

const DROPPED = '$SYS/broker/publish/messages/dropped';

export async function startBrokerLinks(o: BrokerLinksOptions): Promise<BrokerLinks> {
  const ext = o.config.mqtt.external;
  const entries: { url: URL; link: MqttLink; status: ExternalBrokerStatus }[] = [];
  for (const raw of o.urls) {
    const url = new URL(raw);
    const status: ExternalBrokerStatus = {
      address: url.hostname,
      port: Number(url.port || 8883),
      connected: false,
      droppedMessages: null,
      storedMessages: null,
      storedBytes: null,
    };
    const subject = `broker:${status.address}:${status.port}`;
    const onDropped = (n: number) => {
      const prev = status.droppedMessages;
      status.droppedMessages = n;
      if (!o.alarms || prev === n) return;
      const now = o.clock();
      const write =
        n > 0
          ? o.alarms.open(
              {
                rule: 'broker-dropped',
                subject,
                startedAt: now,
                raisedAt: now,
                severity: 'critical',
                message: `the broker ${status.address}:${status.port} dropped ${n} acknowledged messages (queue or in-flight limit); re-run vigil mosquitto-config with a larger mqtt.external.maxOutageMinutes`,
                peak: n,
                unit: 'messages',
              },
              now,
            )
          : o.alarms
              .list({ state: 'active', rule: 'broker-dropped', subject, limit: 1 })
              .then((a) => (a[0] ? o.alarms?.resolve(a[0].id, now, now) : null));
      void Promise.resolve(write).catch((err) =>
        o.logger.error({ err }, 'broker-dropped alarm write failed'),
      );
      if (n > 0) o.logger.error({ broker: subject, dropped: n }, 'the external broker dropped messages');
    };
    const link = await startMqttLink({
      url: raw,
      ca: o.caPem,
      cert: o.identity.certPem,
      key: o.identity.keyPem,
      clientId: o.identity.name,
      topicPrefix: o.config.mqtt.topicPrefix,
      group: ext.group,
      shared: o.shared,
      maxPacketBytes: o.config.mqtt.maxPacketBytes,
      receiveMaximum: ext.receiveMaximum,
      brokerStats: BROKER_STAT_TOPICS,
      onBrokerStat: (topic, value) => {
        if (topic === DROPPED) onDropped(value);
        else if (topic.endsWith('/store/messages/count')) status.storedMessages = value;
        else if (topic.endsWith('/store/messages/bytes')) status.storedBytes = value;
      },
      sink: o.sink,
      logger: o.logger,
      ...(o.onDeviceState ? { onDeviceState: o.onDeviceState } : {}),
      ...(o.onClaim ? { onClaim: o.onClaim } : {}),
      ...(o.onGatewayStatus ? { onGatewayStatus: o.onGatewayStatus } : {}),
    });
    entries.push({ url, link, status });
  }
  return {
    stats: () => ({ connected: entries.some((e) => e.link.stats().connected) }),
    brokers: () => entries.map((e) => ({ ...e.status, connected: e.link.stats().connected })),
    async waitUntilSubscribed(timeoutMs) {
      await Promise.all(entries.map((e) => e.link.waitUntilSubscribed(timeoutMs)));
    },
    async publish(topic, payload, retain) {
      const live = entries.filter((e) => e.link.stats().connected);
      if (live.length === 0) throw new Error('no external broker connected');
      await Promise.any(live.map((e) => e.link.publish(topic, payload, retain)));
    },
    async close() {
      await Promise.all(entries.map((e) => e.link.close()));
    },
  };
}
