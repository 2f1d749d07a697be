import { performance } from 'node:perf_hooks';
import { nowMs } from './clock.ts';
import { runLoad } from './load-runner.ts';
import type { LoadDevice, LoadJob, LoadResult } from './load-types.ts';
import { startMosquitto } from './mosquitto-baseline.ts';
import { startRawAedes } from './raw-aedes.ts';
import { mean, median, percentile } from './stats.ts';
import { startSubscriber } from './subscriber-runner.ts';
import type { VigilFixture } from './vigil-fixture.ts';

export interface W1Options {
  window: number;
  warmupMs: number;
  durationMs: number;
  rounds: number;
  poolPerClient: number;
  noDelay: boolean;
}

/** One measured run of one side. */
export type W1Side = 'raw' | 'mosquitto' | 'vigil';

export interface W1Run {
  side: W1Side;
  ackRate: number;
  published: number;
  acked: number;
  errors: number;
  firstError: string | undefined;
  unackedAtEnd: number;
  measuredMs: number;
  perSecond: number[];
  tls: string;
  workerElu: number;
  /** Event-loop utilisation of the main (server) thread over the measured interval. */
  serverElu: number;
  buildMs: number;
  /**
   * mosquitto only: what the QoS 1 subscriber received in the measured interval, per second (the
   * side's figure: routed and delivered), and its thread's event-loop utilisation.
   */
  deliveredRate?: number;
  subscriberElu?: number;
  /** vigil only: what the pipeline and the store did. */
  pipeline?: {
    /** Whole run (warm-up and drain included). */
    accepted: number;
    rejected: number;
    rejectionsByReason: Record<string, number>;
    /** From here on: the measured interval only. */
    commits: number;
    messagesPerCommit: number;
    commitMsMean: number;
    commitMsP50: number;
    commitMsP99: number;
    commitMsMax: number;
    /** Share of the run's wall time with a writeBatch in flight (on the ingest thread: the event loop is free meanwhile). */
    commitBusyShare: number;
    replayBytesPerCommit: number;
  };
}

export interface W1Result {
  clients: number;
  window: number;
  /** Per round, the sides in the order they ran. */
  rounds: W1Run[][];
  rawRate: number;
  /** Mosquitto's figure: messages delivered to its QoS 1 subscriber per second (NaN when skipped). */
  mosquittoRate: number;
  vigilRate: number;
  /** Vigil / raw Aedes. */
  ratio: number;
  /** Vigil / Mosquitto delivered. */
  ratioMosquitto: number;
}

/** The next unused seq per device: Vigil's replay window refuses a seq it has seen. */
export class SeqCursor {
  readonly next: number[];
  constructor(n: number) {
    this.next = new Array<number>(n).fill(1);
  }
  advance(lastSeq: number[]): void {
    lastSeq.forEach((s, i) => {
      if (s >= (this.next[i] ?? 0)) this.next[i] = s + 1;
    });
  }
}

function job(url: string, devices: LoadDevice[], startSeq: number[], o: W1Options, raw: boolean): LoadJob {
  return {
    url,
    topicPrefix: 'vigil/v1',
    devices,
    startSeq,
    poolPerClient: o.poolPerClient,
    cyclePool: raw,
    mode: 'max',
    window: o.window,
    ratePerSec: 0,
    warmupMs: o.warmupMs,
    durationMs: o.durationMs,
    drainTimeoutMs: 10_000,
    recordTimes: false,
    noDelay: o.noDelay,
  };
}

function baseRun(side: W1Side, r: LoadResult, serverElu: number): W1Run {
  return {
    side,
    ackRate: r.ackRate,
    published: r.published,
    acked: r.acked,
    errors: r.errors,
    firstError: r.firstError,
    unackedAtEnd: r.unackedAtEnd,
    measuredMs: r.measuredMs,
    perSecond: r.perSecond,
    tls: r.tls,
    workerElu: r.workerElu,
    serverElu,
    buildMs: r.buildMs,
  };
}

/** Samples the main thread's event-loop utilisation over the worker's measured interval. */
export interface EluProbe {
  onPhase: (p: 'measure-start' | 'measure-end') => void;
  value: () => number;
  /** The measured interval in {@link nowMs} time (NaN until seen). */
  from: () => number;
  to: () => number;
}

export function eluProbe(): EluProbe {
  let start: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  let result = Number.NaN;
  let from = Number.NaN;
  let to = Number.NaN;
  return {
    onPhase: (p) => {
      if (p === 'measure-start') {
        start = performance.eventLoopUtilization();
        from = nowMs();
      } else if (start) {
        result = performance.eventLoopUtilization(start).utilization;
        to = nowMs();
      }
    },
    value: () => result,
    from: () => from,
    to: () => to,
  };
}

export async function runRawOnce(fx: VigilFixture, devices: LoadDevice[], o: W1Options): Promise<W1Run> {
  const raw = await startRawAedes(fx.tls);
  try {
    const elu = eluProbe();
    // Aedes never looks at payloads, so a small pool, reused, is enough (and quick to seal).
    const small = { ...o, poolPerClient: Math.min(o.poolPerClient, 2000) };
    const r = await runLoad(
      job(
        raw.url,
        devices,
        devices.map(() => 1),
        small,
        true,
      ),
      elu.onPhase,
    );
    return baseRun('raw', r, elu.value());
  } finally {
    await raw.close();
  }
}

/**
 * Mosquitto pass-through: the same publishers (and pool as the raw run) into Mosquitto, one QoS 1
 * subscriber on the W1 topics in a worker thread. The figure is what the subscriber received.
 */
export async function runMosquittoOnce(
  fx: VigilFixture,
  devices: LoadDevice[],
  o: W1Options,
): Promise<W1Run> {
  const broker = await startMosquitto(fx.tls);
  try {
    const sub = devices[0]!;
    const subscriber = await startSubscriber({
      url: broker.url,
      clientId: 'bench-subscriber',
      ca: sub.ca,
      cert: sub.cert,
      key: sub.key,
      topic: 'vigil/v1/devices/+/telemetry',
      maxRecords: 4_000_000,
    });
    const elu = eluProbe();
    let r: LoadResult;
    try {
      const small = { ...o, poolPerClient: Math.min(o.poolPerClient, 2000) };
      r = await runLoad(
        job(
          broker.url,
          devices,
          devices.map(() => 1),
          small,
          true,
        ),
        elu.onPhase,
      );
    } catch (err) {
      subscriber.kill();
      throw err;
    }
    const got = await subscriber.stop();
    let inWindow = 0;
    for (const t of got.times) if (t >= r.measureFrom && t <= r.measureTo) inWindow++;
    return {
      ...baseRun('mosquitto', r, elu.value()),
      deliveredRate: (inWindow / Math.max(1, r.measureTo - r.measureFrom)) * 1000,
      subscriberElu: got.elu,
    };
  } finally {
    await broker.close();
  }
}

export async function runVigilOnce(
  fx: VigilFixture,
  devices: LoadDevice[],
  cursor: SeqCursor,
  o: W1Options,
): Promise<W1Run> {
  const stats0 = { ...fx.server.pipeline.stats };
  const rej0 = fx.server.rejections.totals();
  fx.commits = [];
  fx.recordCommits = true;
  const elu = eluProbe();
  let r: LoadResult;
  try {
    r = await runLoad(job(fx.url, devices, [...cursor.next], o, false), elu.onPhase);
  } finally {
    fx.recordCommits = false;
  }
  const serverElu = elu.value();
  // Commit statistics over the measured interval only (not warm-up or drain).
  const inWindow = fx.commits.filter((c) => c.at >= elu.from() && c.at <= elu.to());
  const wallMs = elu.to() - elu.from();
  cursor.advance(r.lastSeq);
  const st = fx.server.pipeline.stats;
  const rej1 = fx.server.rejections.totals();
  const rejectionsByReason: Record<string, number> = {};
  for (const [k, v] of Object.entries(rej1)) {
    const d = v - (rej0[k] ?? 0);
    if (d > 0) rejectionsByReason[k] = d;
  }
  const ms = inWindow.map((c) => c.ms);
  const busy = ms.reduce((a, b) => a + b, 0);
  const accepted = st.accepted - stats0.accepted;
  return {
    ...baseRun('vigil', r, serverElu),
    pipeline: {
      accepted,
      rejected: st.rejected - stats0.rejected,
      rejectionsByReason,
      commits: inWindow.length,
      messagesPerCommit: mean(inWindow.map((c) => c.readings)),
      commitMsMean: mean(ms),
      commitMsP50: percentile(ms, 50),
      commitMsP99: percentile(ms, 99),
      commitMsMax: ms.length ? Math.max(...ms) : Number.NaN,
      commitBusyShare: busy / wallMs,
      replayBytesPerCommit: mean(inWindow.map((c) => c.replayBytes)),
    },
  };
}

/** The W1 figure of a run: PUBACKs per second, or for Mosquitto what its subscriber received. */
export const w1Figure = (r: W1Run): number =>
  r.side === 'mosquitto' ? (r.deliveredRate ?? Number.NaN) : r.ackRate;

/**
 * W1: QoS 1 messages per second through bare Aedes, Mosquitto (to a subscriber) and the whole
 * Vigil pipeline (to the encrypted store), same clients, same in-flight window, same pre-built
 * envelopes. Each round runs every side; the order rotates between rounds so that drift (other
 * load on the machine, page cache, WAL growth) hits every side; each figure is the median of its
 * rounds. `mosquitto: false` leaves Mosquitto out (not installed).
 */
export async function runW1(
  fx: VigilFixture,
  devices: LoadDevice[],
  cursor: SeqCursor,
  o: W1Options & { mosquitto: boolean; sides?: W1Side[] | undefined },
  log: (s: string) => void,
): Promise<W1Result> {
  const sides: W1Side[] = (o.sides ?? ['raw', 'mosquitto', 'vigil']).filter(
    (s) => s !== 'mosquitto' || o.mosquitto,
  );
  const rounds: W1Run[][] = [];
  for (let i = 0; i < o.rounds; i++) {
    const order = sides.map((_, k) => sides[(k + i) % sides.length] as W1Side);
    const round: W1Run[] = [];
    for (const side of order) {
      const run =
        side === 'raw'
          ? await runRawOnce(fx, devices, o)
          : side === 'mosquitto'
            ? await runMosquittoOnce(fx, devices, o)
            : await runVigilOnce(fx, devices, cursor, o);
      const extra =
        side === 'vigil'
          ? ` (${run.pipeline?.commits} commits, ${run.pipeline?.messagesPerCommit.toFixed(1)} msg/commit)`
          : side === 'mosquitto'
            ? ` delivered (publishers acked ${run.ackRate.toFixed(0)}/s)`
            : '';
      log(`  W1 round ${i + 1}/${o.rounds}: ${side.padEnd(9)} ${w1Figure(run).toFixed(0)} msg/s${extra}`);
      round.push(run);
    }
    rounds.push(round);
  }
  const med = (side: W1Side) => median(rounds.flatMap((r) => r.filter((x) => x.side === side).map(w1Figure)));
  const rawRate = med('raw');
  const mosquittoRate = sides.includes('mosquitto') ? med('mosquitto') : Number.NaN;
  const vigilRate = med('vigil');
  return {
    clients: devices.length,
    window: o.window,
    rounds,
    rawRate,
    mosquittoRate,
    vigilRate,
    ratio: vigilRate / rawRate,
    ratioMosquitto: vigilRate / mosquittoRate,
  };
}
