import { performance } from 'node:perf_hooks';
import { nowMs } from './clock.ts';
import { runLoad } from './load-runner.ts';
import type { LoadDevice, LoadJob, LoadResult } from './load-types.ts';
import { startRawAedes } from './raw-aedes.ts';
import { mean, median, percentile } from './stats.ts';
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
export interface W1Run {
  side: 'raw' | 'vigil';
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
    /** Share of the run's wall time spent inside writeBatch (synchronous: the event loop is blocked). */
    commitBusyShare: number;
    replayBytesPerCommit: number;
  };
}

export interface W1Result {
  clients: number;
  window: number;
  rounds: W1Run[][];
  rawRate: number;
  vigilRate: number;
  ratio: number;
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

function baseRun(side: 'raw' | 'vigil', r: LoadResult, serverElu: number): W1Run {
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

/**
 * W1: acknowledged QoS 1 publishes per second, bare Aedes over mTLS vs the whole Vigil pipeline,
 * same clients, same in-flight window, same pre-built envelopes. Rounds alternate raw and Vigil so
 * that drift (thermal, page cache, WAL growth) hits both; each side's rate is the median of rounds.
 */
export async function runW1(
  fx: VigilFixture,
  devices: LoadDevice[],
  cursor: SeqCursor,
  o: W1Options,
  log: (s: string) => void,
): Promise<W1Result> {
  const rounds: W1Run[][] = [];
  for (let i = 0; i < o.rounds; i++) {
    const raw = await runRawOnce(fx, devices, o);
    log(`  W1 round ${i + 1}/${o.rounds}: raw Aedes   ${raw.ackRate.toFixed(0)} msg/s`);
    const vig = await runVigilOnce(fx, devices, cursor, o);
    log(
      `  W1 round ${i + 1}/${o.rounds}: Vigil       ${vig.ackRate.toFixed(0)} msg/s ` +
        `(${vig.pipeline?.commits} commits, ${vig.pipeline?.messagesPerCommit.toFixed(1)} msg/commit)`,
    );
    rounds.push([raw, vig]);
  }
  const rawRate = median(rounds.map((r) => r[0]!.ackRate));
  const vigilRate = median(rounds.map((r) => r[1]!.ackRate));
  return {
    clients: devices.length,
    window: o.window,
    rounds,
    rawRate,
    vigilRate,
    ratio: vigilRate / rawRate,
  };
}
