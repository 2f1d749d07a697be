import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { type Logger, pino } from 'pino';
import { EmbeddedBroker } from '../broker/embedded-broker.ts';
import { GATEWAY_WILL_PAYLOAD } from '../broker/publish-policy.ts';
import { isVigilError } from '../errors.ts';
import type { GatewayStatus } from '../gateways/gateway-registry.ts';
import type { InboundMessage, IngestResult } from '../ingest/ingest-sink.ts';
import { deviceTopic, gatewayTopic, parseDeviceTopic } from '../protocol/topics.ts';
import type { GatewayBundle } from './gateway-bundle.ts';
import { crlSerials, readLocalState, verifiedCrl } from './gateway-crl.ts';
import { GatewayQueue } from './gateway-queue.ts';

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  bundle: GatewayBundle;
  /** The gateway's own directory: its queue (queue.db) and the last config from upstream. */
  dataDir: string;
  /** Local listener port for the site's devices (default 8883; 0 picks one). */
  listenPort: number;
  listenHost?: string;
  maxQueueBytes: number;
  window: number;
  statusIntervalMs: number;
  logger?: Logger;
  now?: () => number;
}

/** A running gateway (docs/gateway.md). */
export interface RunningGateway {
  port: number;
  status(): GatewayStatus;
  close(): Promise<void>;
}

/**
 * `vigil gateway`: a local MQTT-over-mTLS listener for the site's devices (their certificates
 * checked against the Vigil CA and a CRL refreshed from upstream; no CA key here), a durable
 * queue, and one upstream connection under the gateway's own certificate. Envelopes pass
 * unchanged both ways: the gateway holds no device secret and can neither read nor forge them.
 */
export async function startGateway(o: GatewayOptions): Promise<RunningGateway> {
  const { bundle } = o;
  const id = bundle.info.id;
  const prefix = bundle.info.topic_prefix;
  const log = (o.logger ?? pino({ level: 'silent' })).child({ component: 'gateway', gateway: id });
  const now = o.now ?? Date.now;
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const queue = GatewayQueue.open(join(o.dataDir, 'queue.db'), o.maxQueueBytes);
  // The last device set and CRL from upstream outlive a restart while the uplink is down.
  const saved = readLocalState(o.dataDir);
  const devices = new Set<string>(saved?.devices ?? bundle.info.devices);
  const crlPem = verifiedCrl(saved?.crl ?? '', bundle.ca) ?? verifiedCrl(bundle.crl, bundle.ca) ?? undefined;

  let queueFull = false;
  let forwarded = 0;
  let uplinkUp = false;

  const sink = {
    async ingest(msg: InboundMessage): Promise<IngestResult> {
      const route = msg.route ?? parseDeviceTopic(prefix, msg.topic);
      if (!route) return { ok: false, code: 'VIGIL_ERR_TOPIC' };
      try {
        await queue.enqueue(route.deviceId, msg.topic, msg.payload, msg.receivedAt);
      } catch (err) {
        if (isVigilError(err) && err.code === 'VIGIL_ERR_GATEWAY_QUEUE_FULL') setFull(true);
        // No PUBACK: the device keeps the envelope and sends it again later.
        throw err;
      }
      pump();
      return { ok: true, deviceId: route.deviceId, channel: route.channel, seq: 0 };
    },
  };

  const broker = new EmbeddedBroker({
    host: o.listenHost ?? '::',
    port: o.listenPort,
    tls: { ca: bundle.ca, cert: bundle.cert, key: bundle.key, ...(crlPem ? { crl: crlPem } : {}) },
    topicPrefix: prefix,
    sink,
    logger: log,
    now,
    // Only the devices bound to this gateway now; the CRL is enforced at the TLS layer and here.
    resolveIdentity: async (cn) => (devices.has(cn) ? { kind: 'device', id: cn } : null),
    onCommandSubscription: (deviceId) => deliverQueuedCommands(deviceId),
  });
  const port = await broker.start();
  if (crlPem) broker.updateCrl(crlPem, crlSerials(crlPem));

  const upstream = mqtt.connect(bundle.info.upstream_url, {
    clientId: id,
    ca: bundle.ca,
    cert: bundle.cert,
    key: bundle.key,
    protocolVersion: 4,
    clean: true,
    keepalive: 30,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    will: {
      topic: gatewayTopic(prefix, id, 'status'),
      payload: Buffer.from(GATEWAY_WILL_PAYLOAD),
      qos: 1,
      retain: true,
    },
  });
  const subscribed = new Set<string>();
  upstream.on('connect', () => {
    uplinkUp = true;
    subscribed.clear();
    log.info('uplink connected');
    upstream.subscribe(gatewayTopic(prefix, id, 'config'), { qos: 1 });
    syncSubscriptions();
    publishStatus();
    pump();
  });
  upstream.on('close', () => {
    if (uplinkUp) log.warn('uplink lost; queueing');
    uplinkUp = false;
  });
  upstream.on('error', (err) => log.debug({ err: err.message }, 'uplink error'));
  upstream.on('message', (topic, payload) => onDownlink(topic, payload));

  // ---- uplink: forward in queue order, at most `window` unacknowledged ---------------------
  let inflight = 0;
  let lastSent = 0;
  function pump(): void {
    if (!uplinkUp) return;
    while (inflight < o.window) {
      const rows = queue.next(lastSent, o.window - inflight);
      if (rows.length === 0) break;
      for (const r of rows) {
        lastSent = r.id;
        inflight++;
        // QoS 1 on one connection: the broker acknowledges in order (MQTT 3.1.1 §4.6); MQTT.js
        // resends unacknowledged ones after a reconnect, so the callback comes once per envelope.
        upstream.publish(r.topic, r.payload, { qos: 1 }, (err) => {
          inflight--;
          if (err) {
            // Refused or lost for good: send it again from the queue (it was not deleted).
            if (r.id <= lastSent) lastSent = Math.min(lastSent, r.id - 1);
            setTimeout(pump, 500).unref();
            return;
          }
          queue.remove(r.id, r.payload.length);
          forwarded++;
          if (queueFull && !queue.full(16_384)) setFull(false);
          pump();
        });
      }
    }
  }

  function setFull(full: boolean): void {
    if (full === queueFull) return;
    queueFull = full;
    if (full)
      log.error(
        { queueBytes: queue.bytes, maxQueueBytes: queue.maxBytes },
        'gateway queue full: devices are not acknowledged',
      );
    else log.warn({ queueBytes: queue.bytes }, 'gateway queue has room again');
    publishStatus();
  }

  // ---- downlink: config and commands -----------------------------------------------------
  function onDownlink(topic: string, payload: Buffer): void {
    if (topic === gatewayTopic(prefix, id, 'config')) {
      applyConfig(payload);
      return;
    }
    const t = parseDeviceTopic(prefix, topic);
    if (t?.channel !== 'commands' || !devices.has(t.deviceId)) return;
    // Kept first, then delivered if the device is here: an offline device gets it on its next subscribe.
    queue.pushCommand(t.deviceId, topic, payload, now());
    if (broker.isConnected(t.deviceId)) deliverQueuedCommands(t.deviceId);
  }

  function deliverQueuedCommands(deviceId: string): void {
    for (const c of queue.commandsFor(deviceId)) {
      broker
        .publish(c.topic, c.payload)
        .then(() => queue.removeCommand(c.id))
        .catch((err) => log.error({ err, device: deviceId }, 'command relay failed'));
    }
  }

  function applyConfig(payload: Buffer): void {
    let cfg: { devices: string[]; crl: string };
    try {
      cfg = JSON.parse(payload.toString('utf8')) as { devices: string[]; crl: string };
      if (!Array.isArray(cfg.devices)) throw new Error('devices');
    } catch {
      log.warn('malformed gateway config ignored');
      return;
    }
    const next = new Set(cfg.devices.filter((d) => typeof d === 'string'));
    for (const d of [...devices]) {
      if (next.has(d)) continue;
      devices.delete(d);
      broker.disconnect(d); // unbound: its session here ends now
    }
    for (const d of next) devices.add(d);
    const crl = verifiedCrl(typeof cfg.crl === 'string' ? cfg.crl : '', bundle.ca);
    if (crl) broker.updateCrl(crl, crlSerials(crl));
    writeFileSync(
      join(o.dataDir, 'upstream-config.json'),
      JSON.stringify({ devices: [...devices], crl: crl ?? '' }),
    );
    log.info({ devices: devices.size }, 'gateway config applied');
    syncSubscriptions();
  }

  function syncSubscriptions(): void {
    if (!uplinkUp) return;
    for (const d of devices) {
      const topic = deviceTopic(prefix, d, 'commands');
      if (subscribed.has(topic)) continue;
      subscribed.add(topic);
      upstream.subscribe(topic, { qos: 1 });
    }
    for (const topic of [...subscribed]) {
      const t = parseDeviceTopic(prefix, topic);
      if (t && !devices.has(t.deviceId)) {
        subscribed.delete(topic);
        upstream.unsubscribe(topic);
      }
    }
  }

  // ---- visibility --------------------------------------------------------------------------
  function status(): GatewayStatus {
    const oldest = queue.oldestAt();
    return {
      uplink: uplinkUp ? 'up' : 'down',
      queueDepth: queue.depth,
      queueBytes: queue.bytes,
      maxQueueBytes: queue.maxBytes,
      oldestQueuedAgeMs: oldest === null ? 0 : Math.max(0, now() - oldest),
      queueFull,
      devicesOnline: broker.stats().devices,
      devicesBound: devices.size,
      forwarded,
      commandsQueued: queue.commandCount(),
    };
  }
  function publishStatus(): void {
    if (!uplinkUp) return;
    upstream.publish(gatewayTopic(prefix, id, 'status'), JSON.stringify(status()), { qos: 1, retain: true });
  }
  const statusTimer = setInterval(publishStatus, o.statusIntervalMs);
  statusTimer.unref();

  return {
    port,
    status,
    async close() {
      clearInterval(statusTimer);
      await broker.close();
      await new Promise<void>((r) => upstream.end(false, {}, () => r()));
      queue.close();
    },
  };
}
