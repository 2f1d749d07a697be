import type { LoadDevice } from './load-types.ts';

/** The fleet's device ids and the probe's (last), in the order the credentials file lists them. */
export function restartFleetIds(devices: number): string[] {
  return [...Array.from({ length: devices }, (_, i) => `fleet-${String(i).padStart(5, '0')}`), 'probe-0'];
}

/** What the restart benchmark's fleet worker does (bench/restart-fleet-worker.ts). Bounded in time. */
export interface RestartFleetJob {
  host: string;
  port: number;
  topicPrefix: string;
  /** The fleet, then the probe (last). */
  devices: LoadDevice[];
  /** First seq per device (seqs never repeat on one data directory). */
  startSeq: number[];
  /** Every fleet device publishes once per interval, phases spread evenly over it. */
  intervalMs: number;
  /** The probe publishes once per this. */
  probeIntervalMs: number;
  /** Handshakes at a time while connecting. */
  connectConcurrency: number;
  /** Bound on connecting the whole fleet. */
  connectTimeoutMs: number;
  /** After the fleet is connected: publishing, not measured (one interval: every device once). */
  warmupMs: number;
  durationMs: number;
  drainTimeoutMs: number;
}

/** What the fleet worker reports. Latencies in ms; times from bench/clock.ts `nowMs`. */
export interface RestartFleetResult {
  connected: number;
  connectMs: number;
  published: number;
  acked: number;
  errors: number;
  firstError: string | undefined;
  unackedAtEnd: number;
  /**
   * publish -> PUBACK of the fleet's messages published in the measured interval; Infinity for
   * one still unacknowledged when the drain ended.
   */
  fleet: Float64Array;
  /** publish -> PUBACK of the probe's messages published in the measured interval. */
  probe: Float64Array;
  measuredMs: number;
  /** Highest seq published per device. */
  lastSeq: number[];
  /** Event-loop utilisation of the worker over the measured interval. */
  elu: number;
}
