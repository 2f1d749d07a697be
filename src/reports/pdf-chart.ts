/**
 * The report's temperature chart, drawn as PDF vector paths: the profile's range as a shaded
 * band, excursions and data gaps shaded, limit lines, the series, dispatch and delivery marks,
 * alarm marks, time and temperature axes, and a legend.
 *
 * A 30-day trip at 1-minute sampling is 43 200 readings for a plot some 480 pt wide, so the series
 * is reduced per half-point column to its first, lowest, highest and last reading (the M4 idea,
 * Jugel et al., VLDB 2014): every spike that would be visible survives, and the line breaks at
 * data gaps exactly as the summary counts them.
 */
import { num } from './format.ts';
import { FONT } from './pdf-fonts.ts';
import { COLOR } from './pdf-style.ts';
import { reportSpan } from './report-facts.ts';
import type { ShipmentReportInput } from './report-model.ts';

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
function tickLabel(ts: number, step: number, first: boolean): [string, string] {
  const d = new Date(ts);
  const day = `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
  const hm = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  if (step >= 86_400_000) return [day, ''];
  return [hm, first || (d.getUTCHours() === 0 && d.getUTCMinutes() === 0) ? day : ''];
}

/** The area the chart may use. */
export interface ChartBox {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** Options of {@link drawTemperatureChart}. */
export interface ChartOptions {
  /** The time window to show (default: the whole trip); a detail view of one excursion uses it. */
  readonly span?: { readonly from: number; readonly to: number };
  /** Draw the legend under the axis (default true). */
  readonly legend?: boolean;
}

/** Lowest and highest reading inside a window. */
function extremes(input: ShipmentReportInput, from: number, to: number): { min: number; max: number } | null {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const r of input.readings) {
    if (r.ts < from || r.ts > to) continue;
    if (r.tempC < min) min = r.tempC;
    if (r.tempC > max) max = r.tempC;
  }
  return min <= max ? { min, max } : null;
}

/** Draws the chart into `box` (plot, axes and legend all inside it). */
export function drawTemperatureChart(
  doc: PDFKit.PDFDocument,
  input: ShipmentReportInput,
  box: ChartBox,
  options: ChartOptions = {},
): void {
  const { profile } = input.shipment;
  const { summary } = input;
  const legend = options.legend ?? true;
  const px = box.x + 34;
  const pw = box.x + box.w - 6 - px;
  const py = box.y + 20;
  const ph = box.h - 20 - 26 - (legend ? 18 : 0); // top marks, x labels, legend
  const span = options.span ?? reportSpan(input);
  const ext = span ? extremes(input, span.from, span.to) : null;

  doc.save();
  doc.lineWidth(0.5).rect(px, py, pw, ph).fillAndStroke('#ffffff', COLOR.rule);
  if (!span || !ext) {
    doc
      .font(FONT.italic)
      .fontSize(10)
      .fillColor(COLOR.muted)
      .text('No temperature readings recorded for this shipment.', px, py + ph / 2 - 6, {
        width: pw,
        align: 'center',
        lineBreak: false,
      });
    doc.restore();
    return;
  }
  const { from, to } = span;

  // temperature domain: the range, the data and the alarm limits, padded to nice ticks
  let lo0 = Math.min(profile.lowerC, ext.min);
  let hi0 = Math.max(profile.upperC, ext.max, profile.heat.limitC);
  if (profile.freezeSensitive) lo0 = Math.min(lo0, profile.freeze.limitC);
  const pad = Math.max(0.5, (hi0 - lo0) * 0.06);
  lo0 -= pad;
  hi0 += pad;
  const yStep = niceStep(hi0 - lo0, 6);
  const lo = Math.floor(lo0 / yStep) * yStep;
  const hi = Math.ceil(hi0 / yStep) * yStep;
  const X = (ts: number) => px + ((ts - from) / (to - from)) * pw;
  const Y = (t: number) => py + ph - ((t - lo) / (hi - lo)) * ph;
  const clampX = (ts: number) => Math.max(px, Math.min(px + pw, X(ts)));
  const inSpan = (ts: number) => ts >= from && ts <= to;

  // clip everything that belongs to the plot
  doc.save();
  doc.rect(px, py, pw, ph).clip();
  doc.rect(px, Y(profile.upperC), pw, Y(profile.lowerC) - Y(profile.upperC)).fill(COLOR.band);
  for (const g of summary.gaps) {
    doc.rect(clampX(g.start), py, Math.max(1.5, clampX(g.end) - clampX(g.start)), ph).fill(COLOR.gap);
  }
  for (const e of summary.excursions) {
    doc
      .rect(clampX(e.start), py, Math.max(1.2, clampX(e.end) - clampX(e.start)), ph)
      .fill(e.kind === 'above' ? COLOR.above : COLOR.below);
  }
  // grid
  const { step: tStep, ticks } = timeTicks(from, to, 8);
  doc.lineWidth(0.3).strokeColor(COLOR.rule);
  for (let t = lo; t <= hi + yStep / 2; t += yStep) {
    doc
      .moveTo(px, Y(t))
      .lineTo(px + pw, Y(t))
      .stroke();
  }
  for (const t of ticks) {
    doc
      .moveTo(X(t), py)
      .lineTo(X(t), py + ph)
      .stroke();
  }
  // limit lines
  const hLine = (t: number, color: string, dash: [number, number]) => {
    doc
      .lineWidth(0.9)
      .strokeColor(color)
      .dash(dash[0], { space: dash[1] })
      .moveTo(px, Y(t))
      .lineTo(px + pw, Y(t))
      .stroke()
      .undash();
  };
  hLine(profile.upperC, COLOR.aboveInk, [4, 2]);
  hLine(profile.lowerC, COLOR.belowInk, [4, 2]);
  if (profile.heat.limitC !== profile.upperC) hLine(profile.heat.limitC, COLOR.aboveInk, [1, 2]);
  if (profile.freezeSensitive) hLine(profile.freeze.limitC, COLOR.freeze, [1, 2]);
  // the series
  const segments = chartSegments(
    input.readings,
    from,
    to,
    Math.max(1, Math.round(pw * 2)),
    profile.dataGapMaxMs,
  );
  doc.lineWidth(0.7).strokeColor(COLOR.series).lineJoin('round');
  for (const seg of segments) {
    const [p0, ...rest] = seg;
    if (!p0) continue;
    if (rest.length === 0) {
      doc.circle(X(p0.ts), Y(p0.tempC), 0.9).fill(COLOR.series);
      continue;
    }
    doc.moveTo(X(p0.ts), Y(p0.tempC));
    for (const p of rest) doc.lineTo(X(p.ts), Y(p.tempC));
    doc.stroke();
  }
  // excursion numbers, top left inside their shading
  doc.font(FONT.bold).fontSize(6.5);
  // labels closer than a label's width to the previous one are left out (the table lists them all)
  let nextFreeX = Number.NEGATIVE_INFINITY;
  summary.excursions.forEach((e, i) => {
    if (e.end < from || e.start > to || clampX(e.start) < nextFreeX) return;
    const label = `E${i + 1}`;
    doc
      .fillColor(e.kind === 'above' ? COLOR.aboveInk : COLOR.belowInk)
      .text(label, clampX(e.start) + 1.5, py + 2, { lineBreak: false });
    nextFreeX = clampX(e.start) + doc.widthOfString(label) + 4;
  });
  doc.restore();

  // limit labels at the right edge, outside the clip so they stay readable
  doc.font(FONT.regular).fontSize(6.5);
  const limitLabel = (t: number, text: string, color: string, below = false) => {
    const w = doc.widthOfString(text);
    doc.fillColor(color).text(text, px + pw - w - 3, Y(t) + (below ? 1.5 : -8), { lineBreak: false });
  };
  limitLabel(profile.upperC, `upper ${num(profile.upperC)} °C`, COLOR.aboveInk);
  limitLabel(profile.lowerC, `lower ${num(profile.lowerC)} °C`, COLOR.belowInk, true);
  if (profile.freezeSensitive && Y(profile.freeze.limitC) - Y(profile.lowerC) > 8) {
    limitLabel(profile.freeze.limitC, `freeze ${num(profile.freeze.limitC)} °C`, COLOR.freeze, true);
  }

  // y axis
  doc.font(FONT.regular).fontSize(7).fillColor(COLOR.muted);
  for (let t = lo; t <= hi + yStep / 2; t += yStep) {
    const label = num(t, 1);
    doc.text(label, px - 4 - doc.widthOfString(label), Y(t) - 2.6, { lineBreak: false });
  }
  doc.font(FONT.bold).text('°C', box.x, py - 10, { lineBreak: false });
  // x axis
  doc.font(FONT.regular).fontSize(7).fillColor(COLOR.muted);
  doc.lineWidth(0.5).strokeColor(COLOR.faint);
  ticks.forEach((t, i) => {
    const x = X(t);
    doc
      .moveTo(x, py + ph)
      .lineTo(x, py + ph + 3)
      .stroke();
    const [a, b] = tickLabel(t, tStep, i === 0);
    doc.text(a, x - doc.widthOfString(a) / 2, py + ph + 5, { lineBreak: false });
    if (b) doc.text(b, x - doc.widthOfString(b) / 2, py + ph + 13, { lineBreak: false });
  });
  doc.font(FONT.bold).text('UTC', box.x, py + ph + 5, { lineBreak: false });

  // marks above the plot: dispatch, delivery, alarms
  const mark = (ts: number, label: string, color: string) => {
    const x = clampX(ts);
    doc
      .lineWidth(0.8)
      .strokeColor(color)
      .dash(2, { space: 1.5 })
      .moveTo(x, py - 4)
      .lineTo(x, py + ph)
      .stroke()
      .undash();
    doc.font(FONT.bold).fontSize(6.5).fillColor(color);
    const w = doc.widthOfString(label);
    const lx = Math.max(px, Math.min(px + pw - w, x - w / 2));
    doc.text(label, lx, py - 12, { lineBreak: false });
  };
  const { dispatch, delivery } = input.shipment;
  if (dispatch && inSpan(dispatch.at)) mark(dispatch.at, 'Dispatch', COLOR.muted);
  if (delivery && inSpan(delivery.at)) mark(delivery.at, 'Delivery', COLOR.muted);
  let nextAlarmX = Number.NEGATIVE_INFINITY;
  input.alarms.forEach((a, i) => {
    if (!inSpan(a.raisedAt)) return;
    const x = clampX(a.raisedAt);
    const color =
      a.severity === 'critical' ? COLOR.bad : a.severity === 'warning' ? COLOR.warn : COLOR.accent;
    doc
      .moveTo(x - 3.2, py - 8)
      .lineTo(x + 3.2, py - 8)
      .lineTo(x, py - 2)
      .closePath()
      .fill(color);
    if (x < nextAlarmX) return;
    doc
      .font(FONT.bold)
      .fontSize(6)
      .fillColor(color)
      .text(`A${i + 1}`, x + 4, py - 9.5, { lineBreak: false });
    nextAlarmX = x + 4 + doc.widthOfString(`A${i + 1}`) + 3;
  });

  if (!legend) {
    doc.restore();
    return;
  }
  // legend
  const ly = box.y + box.h - 9;
  let lx = px;
  const swatch = (label: string, draw: (x: number, y: number) => void) => {
    draw(lx, ly);
    doc.font(FONT.regular).fontSize(7).fillColor(COLOR.muted);
    doc.text(label, lx + 14, ly - 2.5, { lineBreak: false });
    lx += 14 + doc.widthOfString(label) + 12;
  };
  swatch('Temperature', (x, y) => {
    doc
      .lineWidth(1)
      .strokeColor(COLOR.series)
      .moveTo(x, y)
      .lineTo(x + 10, y)
      .stroke();
  });
  swatch(`Range ${num(profile.lowerC)} to ${num(profile.upperC)} °C`, (x, y) => {
    doc.rect(x, y - 3.5, 10, 7).fill(COLOR.band);
  });
  swatch('Excursion above', (x, y) => {
    doc.rect(x, y - 3.5, 10, 7).fill(COLOR.above);
  });
  swatch('Excursion below', (x, y) => {
    doc.rect(x, y - 3.5, 10, 7).fill(COLOR.below);
  });
  swatch('Data gap', (x, y) => {
    doc.rect(x, y - 3.5, 10, 7).fill(COLOR.gap);
  });
  if (input.alarms.length > 0) {
    swatch('Alarm raised', (x, y) => {
      doc
        .moveTo(x + 1.8, y - 3)
        .lineTo(x + 8.2, y - 3)
        .lineTo(x + 5, y + 3)
        .closePath()
        .fill(COLOR.bad);
    });
  }
  doc.restore();
}
