import { CONFIG_DEFAULTS } from '../config/schema.ts';

/** Resource limits of the embedded broker. */
export interface BrokerLimits {
  /** Largest MQTT remaining length accepted (bytes; envelopes are <= 16 KiB). */
  maxPacketBytes: number;
  /** Time allowed for the TLS handshake and then again for the MQTT CONNECT (ms). */
  connectTimeoutMs: number;
  /** Largest keep-alive a client may ask for (s); 0 (no keep-alive) is refused too. */
  keepAliveMaxS: number;
  /** Sustained PUBLISH rate per identity, across its connections (per second). */
  publishRatePerSec: number;
  /** PUBLISH burst per identity. */
  publishBurst: number;
  /** CONNECTs per identity per minute; more get CONNACK 3 (server unavailable). */
  connectRatePerMinute: number;
  /** Concurrent TCP connections per remote address. */
  maxConnectionsPerAddress: number;
  /** Concurrent TCP connections in total. */
  maxConnections: number;
}

/** Defaults of {@link BrokerLimits}: the `mqtt.*` defaults of the config schema (the one source). */
export const DEFAULT_BROKER_LIMITS: Readonly<BrokerLimits> = Object.freeze({
  maxPacketBytes: CONFIG_DEFAULTS.mqtt.maxPacketBytes,
  connectTimeoutMs: CONFIG_DEFAULTS.mqtt.connectTimeoutMs,
  keepAliveMaxS: CONFIG_DEFAULTS.mqtt.keepAliveMaxS,
  publishRatePerSec: CONFIG_DEFAULTS.mqtt.publishRatePerSec,
  publishBurst: CONFIG_DEFAULTS.mqtt.publishBurst,
  connectRatePerMinute: CONFIG_DEFAULTS.mqtt.connectRatePerMinute,
  maxConnectionsPerAddress: CONFIG_DEFAULTS.mqtt.maxConnectionsPerAddress,
  maxConnections: CONFIG_DEFAULTS.mqtt.maxConnections,
});

/** The defaults overlaid with the given limits (undefined ones ignored), validated and frozen. */
export function resolveBrokerLimits(given: Partial<BrokerLimits> = {}): Readonly<BrokerLimits> {
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const l: BrokerLimits = { ...DEFAULT_BROKER_LIMITS, ...defined };
  for (const [k, v] of Object.entries(l)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new RangeError(`broker limit ${k} must be a positive number`);
    }
  }
  if (l.publishBurst < 1) throw new RangeError('publishBurst must be >= 1');
  return Object.freeze(l);
}
