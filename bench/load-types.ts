import type { Alg } from '../src/protocol/aead.ts';

/** A provisioned device as the load worker needs it (the secret seals envelopes in the worker). */
export interface LoadDevice {
  id: string;
  ca: string;
  cert: string;
  key: string;
  /** base64url device secret (kid below). */
  secret: string;
  kid: number;
  alg: Alg;
}

/** What one load-worker run does. Every phase is bounded in time and count. */
export interface LoadJob {
  url: string;
  topicPrefix: string;
  /** One MQTT client per device, each connecting with the device's certificate. */
  devices: LoadDevice[];
  /** First seq per device (a device's seqs must never repeat across runs on one Vigil). */
  startSeq: number[];
  /** Envelopes sealed per client before timing starts (the count bound of the run). */
  poolPerClient: number;
  /** Raw baseline: reuse the pool when exhausted (Aedes does not look at payloads). */
  cyclePool: boolean;
  /** `max`: keep `window` publishes in flight per client. `paced`: publish at `ratePerSec` in total. */
  mode: 'max' | 'paced';
  window: number;
  ratePerSec: number;
  /** Publishing stops at warmupMs + durationMs after the start (time bound of the run). */
  warmupMs: number;
  durationMs: number;
  /** How long to wait for outstanding PUBACKs after publishing stopped. */
  drainTimeoutMs: number;
  /** Disable Nagle on the client sockets (TCP_NODELAY), as the Vigil server does on its side. */
  noDelay: boolean;
  /** paced mode: record per-message publish and PUBACK times. */
  recordTimes: boolean;
  /** `body`: publish the 128-byte telemetry body itself, no envelope (the layer evaluation's plain rows). */
  payload?: 'envelope' | 'body';
}

/** What the load worker reports. Times are {@link nowMs} (monotonic, comparable across threads). */
export interface LoadResult {
  published: number;
  acked: number;
  errors: number;
  firstError: string | undefined;
  /** PUBACKs received inside the measurement interval [warm-up end, publishing end]. */
  measuredAcks: number;
  measuredMs: number;
  /** measuredAcks / measuredMs, per second. */
  ackRate: number;
  /** Outstanding publishes when the drain timed out (0 if every PUBACK arrived). */
  unackedAtEnd: number;
  /** Highest seq published per device (so the next run continues above it). */
  lastSeq: number[];
  /** Milliseconds spent sealing the pool (not part of the timing). */
  buildMs: number;
  connectMs: number;
  /** The negotiated TLS version and cipher of the first client. */
  tls: string;
  /** Event-loop utilisation of the load worker during the measured interval (0..1). */
  workerElu: number;
  /** The measured interval [warm-up end, publishing end] in {@link nowMs} time. */
  measureFrom: number;
  measureTo: number;
  /** PUBACKs per 1 s slice of the whole run (stability of the rate). */
  perSecond: number[];
  /** recordTimes: device index, seq, publish time, PUBACK time (NaN when none), flattened. */
  times?: Float64Array;
}
