import { runLoad } from './load-runner.ts';
import type { LoadDevice, LoadJob } from './load-types.ts';
import { type Summary, summarize } from './stats.ts';
import type { VigilFixture } from './vigil-fixture.ts';
import { eluProbe, type SeqCursor } from './w1-throughput.ts';

export interface LatencyOptions {
  ratePerSec: number;
  warmupMs: number;
  durationMs: number;
  window: number;
  noDelay: boolean;
}

export interface LatencyResult {
  targetRate: number;
  achievedRate: number;
  published: number;
  /** Messages published in the measured interval. */
  measured: number;
  /** Of those, how many were seen committed (onAccepted) and acknowledged. */
  committed: number;
  acked: number;
  /** publish() call -> pipeline onAccepted (after the group commit returned): the exact figure. */
  toCommitted: Summary;
  /** publish() call -> PUBACK back at the client: an upper bound (adds the way back). */
  toPuback: Summary;
  errors: number;
  firstError: string | undefined;
  /**
   * Event-loop utilisation of the server's main thread over the measured interval: how close the
   * paced load (every message its own write, usually its own TLS record) is to saturating it.
   */
  serverElu: number;
}

/** A paced load at `ratePerSec` with every publish and PUBACK time recorded (latency and live). */
export function pacedJob(
  fx: VigilFixture,
  devices: LoadDevice[],
  cursor: SeqCursor,
  o: Pick<LatencyOptions, 'ratePerSec' | 'warmupMs' | 'durationMs' | 'window' | 'noDelay'>,
): LoadJob {
  return {
    url: fx.url,
    topicPrefix: 'vigil/v1',
    devices,
    startSeq: [...cursor.next],
    poolPerClient:
      Math.ceil((o.ratePerSec / devices.length) * ((o.warmupMs + o.durationMs) / 1000) * 1.2) + 100,
    cyclePool: false,
    mode: 'paced',
    window: o.window,
    ratePerSec: o.ratePerSec,
    warmupMs: o.warmupMs,
    durationMs: o.durationMs,
    drainTimeoutMs: 10_000,
    recordTimes: true,
    noDelay: o.noDelay,
  };
}

/**
 * Publish-to-stored latency under a steady load: every client publishes its share of `ratePerSec`
 * on a 2 ms tick; the load worker notes the monotonic time of each publish() call and PUBACK, the
 * server notes when the pipeline's onAccepted hook fires (it runs right after the transaction
 * holding the reading committed). Both clocks are CLOCK_MONOTONIC, so they subtract directly.
 */
export async function runLatency(
  fx: VigilFixture,
  devices: LoadDevice[],
  cursor: SeqCursor,
  o: LatencyOptions,
): Promise<LatencyResult> {
  const committedAt = new Map<string, number>();
  fx.onAccepted = (ev, at) => committedAt.set(`${ev.deviceId}|${ev.seq}`, at);
  let r: Awaited<ReturnType<typeof runLoad>>;
  const elu = eluProbe();
  try {
    r = await runLoad(pacedJob(fx, devices, cursor, o), elu.onPhase);
  } finally {
    fx.onAccepted = undefined;
  }
  cursor.advance(r.lastSeq);
  const times = r.times ?? new Float64Array(0);
  const toCommitted: number[] = [];
  const toPuback: number[] = [];
  let measured = 0;
  for (let i = 0; i + 3 < times.length; i += 4) {
    const dev = devices[times[i]!]!.id;
    const seq = times[i + 1]!;
    const tPub = times[i + 2]!;
    const tAck = times[i + 3]!;
    if (tPub < r.measureFrom || tPub > r.measureTo) continue;
    measured++;
    const tc = committedAt.get(`${dev}|${seq}`);
    if (tc !== undefined) toCommitted.push(tc - tPub);
    if (Number.isFinite(tAck)) toPuback.push(tAck - tPub);
  }
  return {
    targetRate: o.ratePerSec,
    achievedRate: (measured / (r.measureTo - r.measureFrom)) * 1000,
    published: r.published,
    measured,
    committed: toCommitted.length,
    acked: toPuback.length,
    toCommitted: summarize(toCommitted),
    toPuback: summarize(toPuback),
    errors: r.errors,
    firstError: r.firstError,
    serverElu: elu.value(),
  };
}
