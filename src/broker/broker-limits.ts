import { DEFAULT_MAX_PACKET_BYTES } from './packet-guard.ts';

/** Resource limits of the embedded broker. */
export interface BrokerLimits {
  /** Largest MQTT remaining length accepted (bytes). Default 20480 (envelopes are <= 16 KiB). */
  maxPacketBytes: number;
  /** Time allowed for the TLS handshake and then again for the MQTT CONNECT (ms). Default 10000. */
  connectTimeoutMs: number;
  /** Largest keep-alive a client may ask for (s); 0 (no keep-alive) is refused too. Default 300. */
  keepAliveMaxS: number;
  /** Sustained PUBLISH rate per identity, across its connections (per second). Default 100. */
  publishRatePerSec: number;
  /** PUBLISH burst per identity. Default 200. */
  publishBurst: number;
  /** CONNECTs per identity per minute; more get CONNACK 3 (server unavailable). Default 30. */
  connectRatePerMinute: number;
  /** Concurrent TCP connections per remote address. Default 20. */
  maxConnectionsPerAddress: number;
  /** Concurrent TCP connections in total. Default 10000. */
  maxConnections: number;
}

/** Defaults of {@link BrokerLimits}. */
export const DEFAULT_BROKER_LIMITS: Readonly<BrokerLimits> = Object.freeze({
  maxPacketBytes: DEFAULT_MAX_PACKET_BYTES,
  connectTimeoutMs: 10_000,
  keepAliveMaxS: 300,
  publishRatePerSec: 100,
  publishBurst: 200,
  connectRatePerMinute: 30,
  maxConnectionsPerAddress: 20,
  maxConnections: 10_000,
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
