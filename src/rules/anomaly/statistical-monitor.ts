/**
 * The per-device statistical monitor: it watches in-range behaviour the rules cannot judge (a
 * cooling failure still inside 2-8 °C, a door left ajar, a noisy sensor, a heart rate that jumps
 * 30 bpm within the normal band) and raises `kind: 'statistical'` alarms that say why.
 *
 * Per finished minute (features.ts, one extractor per kind of device):
 * 1. Scores: each feature's robust z-score against the device's own clean history of the last
 *    `historyMs` (median and 1.4826·MAD, floored), divided by its threshold; for probes also an
 *    isolation forest over the feature rows, retrained hourly. The minute's score is the largest;
 *    1 is the threshold. Patients: a NEWS2 above the NEWS2 of the 6-hour medians multiplies it.
 * 2. Episode (episode.ts): persistence to raise, a hold to resolve; one episode, one alarm.
 * 3. Learning: minutes that are covered (the rules' business), flagged, or inside a young episode
 *    stay out of the history, so an anomaly does not teach the monitor that it is normal.
 *
 * Everything runs on the readings' own minute grid: baselines refresh and the forest retrains at
 * fixed minutes with a generator seeded from that minute, so the state is a function of the last
 * `historyMs` of data: replaying that much history after a restart rebuilds it (only minutes the
 * first hours of the replay judged differently, while it warmed up, can differ; the benchmark's
 * daily restarts changed no alarm).
 * Memory is bounded by the window: one row of float32 per minute, plus the forest.
 */
import { type IsolationForest, type RandomSource, trainIsolationForestFlat } from '../isolation-forest.ts';
import { alarmId } from '../reconcile.ts';
import type { Alarm, AlarmTransition, Reading } from '../rule.ts';
import { type EpisodeState, initialEpisode, stepEpisode } from './episode.ts';
import { type ExplainFacts, explain, type FeatureFact } from './explain.ts';
import { type FeatureExtractor, MINUTE_MS, type MinuteFeatures, type News2OfRow } from './features.ts';
import { createMinuteHistory } from './minute-history.ts';
import type { MonitorConfig } from './monitor-config.ts';
import { robustSummary } from './robust-stats.ts';

export interface StatisticalMonitorOptions {
  readonly subject: string;
  readonly config: MonitorConfig;
  readonly features: FeatureExtractor;
  /** Generator for the forest trained at a minute (seeded from subject and minute: reproducible). */
  readonly rngFor?: (minute: number) => RandomSource;
  /** An alarm raised longer than this before `now` is detected late (default 120 s). */
  readonly lateToleranceMs?: number;
}

/** What the monitor said about one finished minute. */
export interface MinuteVerdict {
  readonly minute: number;
  /** Undefined while warming up, for covered minutes and when the windows hold too little. */
  readonly score: number | undefined;
  readonly covered: boolean;
}

export interface StatisticalMonitor {
  /** Feeds one reading (samples and events, in timestamp order; late ones are ignored). */
  observe(r: Reading, now: number): AlarmTransition[];
  openAlarm(): Alarm | undefined;
  /** The verdicts of the minutes finished by the last `observe` (for tests and the benchmark). */
  readonly lastVerdicts: readonly MinuteVerdict[];
  /** True once enough clean history is held to score. */
  readonly warm: boolean;
  /** Bytes held by the monitor's buffers and model (an upper bound of its typed arrays). */
  readonly bytes: number;
}

interface Baseline {
  readonly median: Float64Array;
  readonly sd: Float64Array;
  readonly low: Float64Array;
  readonly high: Float64Array;
  news2: News2OfRow | undefined;
}

/**
 * Work space for recomputing baselines, shared by every monitor: refreshes run one at a time
 * (JavaScript is single-threaded and a refresh is synchronous), so a device does not carry it.
 */
let shared = { scratch: new Float64Array(0), column: new Float64Array(0) };
function scratchFor(rows: number, dims: number): { scratch: Float64Array; column: Float64Array } {
  if (shared.scratch.length < rows * dims || shared.column.length < rows) {
    shared = {
      scratch: new Float64Array(Math.max(shared.scratch.length, rows * dims)),
      column: new Float64Array(Math.max(shared.column.length, rows)),
    };
  }
  return shared;
}

export function createStatisticalMonitor(o: StatisticalMonitorOptions): StatisticalMonitor {
  const c = o.config;
  const fx = o.features;
  const dims = fx.names.length;
  if (c.features.length !== dims) throw new RangeError('monitor config and features disagree');
  const historyMin = Math.round(c.historyMs / MINUTE_MS);
  const refreshMin = Math.max(1, Math.round(c.refreshMs / MINUTE_MS));
  const retrainMin = c.forest ? Math.max(1, Math.round(c.forest.retrainMs / MINUTE_MS)) : 0;
  const minRows = Math.round(c.minHistoryMs / MINUTE_MS);
  const lateToleranceMs = o.lateToleranceMs ?? 120_000;
  const history = createMinuteHistory(dims, historyMin);
  let baseline: Baseline | undefined;
  let forest: IsolationForest | undefined;
  const episode: EpisodeState = initialEpisode();
  let open: Alarm | undefined;
  let reportedPeak = 0;
  const fIdx = c.forest?.features ?? Array.from({ length: dims }, (_, q) => q);
  const fRow = new Float64Array(fIdx.length);
  const forestRow = (row: Float64Array): Float64Array => {
    fIdx.forEach((q, k) => {
      fRow[k] = row[q] as number;
    });
    return fRow;
  };
  let lastVerdicts: MinuteVerdict[] = [];

  function refresh(minute: number): void {
    const { scratch, column } = scratchFor(historyMin, dims);
    const n = history.cleanRows(minute - historyMin, scratch);
    if (n < minRows) return;
    const b: Baseline = baseline ?? {
      median: new Float64Array(dims),
      sd: new Float64Array(dims),
      low: new Float64Array(dims),
      high: new Float64Array(dims),
      news2: undefined,
    };
    for (let q = 0; q < dims; q++) {
      for (let i = 0; i < n; i++) column[i] = scratch[i * dims + q] as number;
      const s = robustSummary(column, n, 0.01);
      b.median[q] = s.median;
      b.sd[q] = Math.max(s.sd, (c.features[q] as MonitorConfig['features'][number]).floor);
      b.low[q] = s.low;
      b.high[q] = s.high;
    }
    b.news2 = fx.news2Of?.(b.median);
    baseline = b;
    if (c.forest && o.rngFor && (forest === undefined || minute % retrainMin === 0)) {
      let data = scratch;
      if (fIdx.length !== dims) {
        data = new Float64Array(n * fIdx.length);
        for (let i = 0; i < n; i++)
          fIdx.forEach((q, k) => {
            data[i * fIdx.length + k] = scratch[i * dims + q] as number;
          });
      }
      forest = trainIsolationForestFlat(data, n, fIdx.length, {
        rng: o.rngFor(minute),
        trees: c.forest.trees,
        sampleSize: c.forest.sampleSize,
      });
    }
  }

  /** Normalised score (1 = threshold), the facts behind it, and whether the forest drove it. */
  function score(mf: MinuteFeatures, row: Float64Array, b: Baseline): { score: number; facts: ExplainFacts } {
    const facts: FeatureFact[] = [];
    const nowNews2 = c.news2Boost !== undefined && b.news2 ? fx.news2Of?.(row) : undefined;
    let best = 0;
    let driver = 0;
    for (let q = 0; q < dims; q++) {
      const f = c.features[q] as MonitorConfig['features'][number];
      const z = ((row[q] as number) - (b.median[q] as number)) / (b.sd[q] as number);
      facts.push({
        name: f.name,
        value: row[q] as number,
        median: b.median[q] as number,
        sd: b.sd[q] as number,
        z,
        low: b.low[q] as number,
        high: b.high[q] as number,
      });
      let dev = z;
      if (f.reference === 'envelope') {
        const v = row[q] as number;
        const sd = b.sd[q] as number;
        dev =
          v > (b.high[q] as number)
            ? (v - (b.high[q] as number)) / sd
            : v < (b.low[q] as number)
              ? (v - (b.low[q] as number)) / sd
              : 0;
      }
      let s = (f.sides === 'up' ? Math.max(0, dev) : Math.abs(dev)) / f.threshold;
      if (mf.outOfRange && f.despiteRange !== true) s = 0;
      // a change that also moves the vital's NEWS2 parameter score up is clinically backed
      if (nowNews2 && b.news2 && (nowNews2.byFeature[q] as number) > (b.news2.byFeature[q] as number)) {
        s *= c.news2Boost as number;
      }
      if (s > best) {
        best = s;
        driver = q;
      }
    }
    if (best === 0) {
      // nothing scored alone (probe level and slope): explain by the largest departure
      let m = -1;
      facts.forEach((x, q) => {
        if (Math.abs(x.z) > m) {
          m = Math.abs(x.z);
          driver = q;
        }
      });
    }
    let forestFacts: ExplainFacts['forest'];
    if (c.forest && forest && !mf.outOfRange) {
      const s = forest.score(forestRow(row));
      forestFacts = { score: s, threshold: c.forest.threshold };
      // 0.5 is "nothing special" for an isolation forest: scale so the threshold maps to 1
      best = Math.max(best, (s - 0.5) / (c.forest.threshold - 0.5));
    }
    const news2 = typeof mf.context['news2'] === 'number' ? (mf.context['news2'] as number) : undefined;
    const door = mf.context['door'];
    return {
      score: best,
      facts: {
        profile: c.profile,
        features: facts,
        driver,
        ...(forestFacts ? { forest: forestFacts } : {}),
        ...(door === 'open' || door === 'closed' ? { door } : {}),
        ...(news2 !== undefined ? { news2 } : {}),
        ...(b.news2 !== undefined ? { baselineNews2: b.news2.total } : {}),
        historyMs: c.historyMs,
        inRange: !mf.outOfRange,
      },
    };
  }

  function detailOf(s: number, f: ExplainFacts): Record<string, unknown> {
    const r3 = (v: number) => Math.round(v * 1000) / 1000;
    return {
      model: f.forest ? 'isolation-forest+robust-z' : 'robust-z',
      score: r3(s),
      features: Object.fromEntries(
        f.features.map((x) => [
          x.name,
          { value: r3(x.value), median: r3(x.median), sd: r3(x.sd), z: r3(x.z) },
        ]),
      ),
      ...(f.forest ? { forest: { score: r3(f.forest.score), threshold: f.forest.threshold } } : {}),
      ...(f.door ? { door: f.door } : {}),
      ...(f.news2 !== undefined ? { news2: f.news2, baselineNews2: f.baselineNews2 ?? null } : {}),
      historyMs: f.historyMs,
    };
  }

  function onMinute(mf: MinuteFeatures, now: number, out: AlarmTransition[]): MinuteVerdict {
    if (baseline === undefined || mf.minute % refreshMin === 0) refresh(mf.minute);
    const row = mf.row;
    let s: number | undefined;
    let facts: ExplainFacts | undefined;
    if (row && !mf.covered && baseline) {
      const r = score(mf, row, baseline);
      // out of range only what is anomalous despite the range counts: a quiet noise there must
      // not clear an episode the range rules have taken over
      if (!mf.outOfRange || r.score >= 1) {
        s = r.score;
        facts = r.facts;
      }
    }
    const ev = stepEpisode(
      episode,
      { minute: mf.minute, firstTs: mf.firstTs, lastTs: mf.lastTs, score: s },
      {
        persistMs: c.persistMs,
        holdMs: c.holdMs,
        clearBelow: c.clearBelow,
        maxGapMin: Math.max(2, Math.ceil((2 * fx.intervalMs) / MINUTE_MS)),
      },
    );
    if (ev?.type === 'raise' && s !== undefined && facts) {
      open = {
        id: alarmId(o.subject, 'anomaly', ev.raisedAt),
        rule: 'anomaly',
        subject: o.subject,
        kind: 'statistical',
        state: 'open',
        startedAt: ev.startedAt,
        raisedAt: ev.raisedAt,
        detectedAt: now,
        detectedLate: now - ev.raisedAt > lateToleranceMs,
        severity: 'warning',
        peak: s,
        unit: 'score',
        score: s,
        message: explain(facts),
        detail: detailOf(s, facts),
      };
      reportedPeak = s;
      out.push({ type: 'opened', alarm: open, at: now });
    } else if (ev?.type === 'peak' && open && s !== undefined && facts && s >= 1.25 * reportedPeak) {
      // a worsening episode: a new peak and the words for it, not an update every minute
      open = { ...open, peak: s, score: s, message: explain(facts), detail: detailOf(s, facts) };
      reportedPeak = s;
      out.push({ type: 'updated', alarm: open, at: now });
    } else if (ev?.type === 'resolve' && open) {
      out.push({
        type: 'resolved',
        alarm: { ...open, state: 'resolved', resolvedAt: ev.resolvedAt },
        at: now,
      });
      open = undefined;
    }
    if (row) {
      const young = episode.open && (mf.minute - episode.openedMinute) * MINUTE_MS < c.maxExcludeMs;
      const clean = !mf.covered && !mf.outOfRange && !(s !== undefined && s >= 1) && !young;
      history.push(mf.minute, row, clean);
    }
    return { minute: mf.minute, score: s, covered: mf.covered || mf.outOfRange };
  }

  return {
    observe(r, now) {
      const out: AlarmTransition[] = [];
      lastVerdicts = fx.observe(r).map((mf) => onMinute(mf, now, out));
      return out;
    },
    openAlarm: () => open,
    get lastVerdicts() {
      return lastVerdicts;
    },
    get warm() {
      return baseline !== undefined;
    },
    get bytes() {
      return history.bytes + fx.bytes + (forest?.bytes ?? 0) + (baseline ? 4 * dims * 8 : 0) + 1024;
    },
  };
}
