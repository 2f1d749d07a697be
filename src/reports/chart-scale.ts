/**
 * The chart's scales: the series reduced for drawing, time ticks on UTC boundaries, temperature
 * steps, and tick labels (pure).
 *
 * A 30-day trip at 1-minute sampling is 43 200 readings for a plot some 480 pt wide, so the series
 * is reduced per half-point column to its first, lowest, highest and last reading (the M4 idea,
 * Jugel et al., VLDB 2014): every spike that would be visible survives, and the line breaks at
 * data gaps exactly as the summary counts them.
 */

/** A point of the reduced series. */
export interface ChartPoint {
  readonly ts: number;
  readonly tempC: number;
}

/**
 * The series reduced to at most four points per column, split into segments at intervals longer
 * than `maxGapMs`. `readings` must be sorted by `ts`; readings outside `[from, to]` are dropped.
 */
export function chartSegments(
  readings: readonly ChartPoint[],
  from: number,
  to: number,
  columns: number,
  maxGapMs: number,
): ChartPoint[][] {
  const span = Math.max(1, to - from);
  const segments: ChartPoint[][] = [];
  let seg: ChartPoint[] = [];
  let col = -1;
  let first: ChartPoint | undefined;
  let lo: ChartPoint | undefined;
  let hi: ChartPoint | undefined;
  let last: ChartPoint | undefined;
  let prevTs = Number.NaN;
  const flush = () => {
    if (!first || !lo || !hi || !last) return;
    const pts = [first, lo, hi, last].sort((a, b) => a.ts - b.ts);
    for (let i = 0; i < pts.length; i++) if (i === 0 || pts[i] !== pts[i - 1]) seg.push(pts[i] as ChartPoint);
    first = lo = hi = last = undefined;
  };
  for (const r of readings) {
    if (r.ts < from || r.ts > to) continue;
    if (r.ts - prevTs > maxGapMs) {
      flush();
      if (seg.length > 0) segments.push(seg);
      seg = [];
      col = -1;
    }
    prevTs = r.ts;
    const c = Math.min(columns - 1, Math.floor(((r.ts - from) / span) * columns));
    if (c !== col) {
      flush();
      col = c;
    }
    if (!first) first = lo = hi = r;
    if (lo && r.tempC < lo.tempC) lo = r;
    if (hi && r.tempC > hi.tempC) hi = r;
    last = r;
  }
  flush();
  if (seg.length > 0) segments.push(seg);
  return segments;
}

const TIME_STEPS_MS = [
  60_000,
  2 * 60_000,
  5 * 60_000,
  10 * 60_000,
  15 * 60_000,
  30 * 60_000,
  3_600_000,
  2 * 3_600_000,
  3 * 3_600_000,
  6 * 3_600_000,
  12 * 3_600_000,
  86_400_000,
  2 * 86_400_000,
  3 * 86_400_000,
  5 * 86_400_000,
  7 * 86_400_000,
  14 * 86_400_000,
];

/** Tick times aligned to UTC multiples of a step giving at most `maxTicks` ticks. */
export function timeTicks(from: number, to: number, maxTicks: number): { step: number; ticks: number[] } {
  const step =
    TIME_STEPS_MS.find((s) => (to - from) / s <= maxTicks) ??
    (TIME_STEPS_MS[TIME_STEPS_MS.length - 1] as number);
  const ticks: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to && ticks.length <= maxTicks + 1; t += step)
    ticks.push(t);
  return { step, ticks };
}

/** A "nice" step (1, 2, 2.5 or 5 times a power of ten) giving about `target` intervals. */
export function niceStep(range: number, target: number): number {
  const raw = range / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = [1, 2, 2.5, 5, 10].find((f) => f * p >= raw) ?? 10;
  return m * p;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A tick's time on the first line; under sub-day steps its date on the second at midnight and first. */
export function tickLabel(ts: number, step: number, first: boolean): [string, string] {
  const d = new Date(ts);
  const day = `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
  const hm = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  if (step >= 86_400_000) return [day, ''];
  return [hm, first || (d.getUTCHours() === 0 && d.getUTCMinutes() === 0) ? day : ''];
}
