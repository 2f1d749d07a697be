/**
 * The report's temperature chart, drawn as PDF vector paths: the profile's range as a shaded
 * band, excursions and data gaps shaded, limit lines, the series, dispatch and delivery marks,
 * alarm marks, time and temperature axes, and a legend. Labels are placed by chart-labels.ts so
 * that none covers another.
 */
import { groupMarks, numberList, placeLabels } from './chart-labels.ts';
import { chartSegments, niceStep, tickLabel, timeTicks } from './chart-scale.ts';
import { num } from './format.ts';
import { FONT } from './pdf-fonts.ts';
import { COLOR } from './pdf-style.ts';
import { reportSpan } from './report-facts.ts';
import type { ShipmentReportInput } from './report-model.ts';

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
  // headroom for the excursion numbers along the top edge (11 pt), so they sit above the series
  hi0 += Math.max(pad, ((hi0 - lo0) * 11) / Math.max(1, ph - 11));
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
  // excursion numbers, top left inside their shading, each where no other covers it
  doc.font(FONT.bold).fontSize(6.5);
  const shown = summary.excursions
    .map((e, i) => ({ e, label: `E${i + 1}` }))
    .filter(({ e }) => e.end >= from && e.start <= to);
  const eAt = placeLabels(
    shown.map(({ e, label }) => ({ x: clampX(e.start) + 1.5, w: doc.widthOfString(label) })),
    { min: px + 1, max: px + pw - 1, maxShift: 12 },
  );
  shown.forEach(({ e, label }, i) => {
    const x = eAt[i];
    if (x === null || x === undefined) return; // too crowded here: the table and detail charts list it
    doc
      .fillColor(e.kind === 'above' ? COLOR.aboveInk : COLOR.belowInk)
      .text(label, x, py + 2, { lineBreak: false });
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
  // x axis: times under every tick; dates where they change, kept apart from each other
  doc.font(FONT.bold).fontSize(7);
  const utcW = doc.widthOfString('UTC');
  doc.fillColor(COLOR.muted).text('UTC', box.x, py + ph + 5, { lineBreak: false });
  doc.font(FONT.regular).lineWidth(0.5).strokeColor(COLOR.faint);
  const labels = ticks.map((t, i) => tickLabel(t, tStep, i === 0));
  const row = (texts: string[], y: number) => {
    const wishes = texts.map((text, i) => ({
      x: X(ticks[i] as number) - doc.widthOfString(text) / 2,
      w: doc.widthOfString(text),
    }));
    // present texts only; the axis label "UTC" owns the left margin
    const idx = texts.flatMap((t, i) => (t ? [i] : []));
    const at = placeLabels(
      idx.map((i) => wishes[i] as { x: number; w: number }),
      { min: box.x + utcW + 4, max: box.x + box.w, maxShift: 10 },
    );
    idx.forEach((i, k) => {
      const x = at[k];
      if (x !== null && x !== undefined) doc.text(texts[i] as string, x, y, { lineBreak: false });
    });
  };
  for (const t of ticks) {
    doc
      .moveTo(X(t), py + ph)
      .lineTo(X(t), py + ph + 3)
      .stroke();
  }
  row(
    labels.map(([a]) => a),
    py + ph + 5,
  );
  row(
    labels.map(([, b]) => b),
    py + ph + 13,
  );

  // marks above the plot: dispatch and delivery lines, alarm triangles; then their labels, placed
  // together so none covers another (alarms raised close together share one label: "A2–A4")
  const wishes: { x: number; w: number; text: string; color: string; size: number }[] = [];
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
    doc.font(FONT.bold).fontSize(6.5);
    const w = doc.widthOfString(label);
    wishes.push({ x: x - w / 2, w, text: label, color, size: 6.5 });
  };
  const { dispatch, delivery } = input.shipment;
  if (dispatch && inSpan(dispatch.at)) mark(dispatch.at, 'Dispatch', COLOR.muted);
  if (delivery && inSpan(delivery.at)) mark(delivery.at, 'Delivery', COLOR.muted);
  const alarmMarks = input.alarms.flatMap((a, i) => {
    if (!inSpan(a.raisedAt)) return [];
    const color =
      a.severity === 'critical' ? COLOR.bad : a.severity === 'warning' ? COLOR.warn : COLOR.accent;
    return [{ x: clampX(a.raisedAt), n: i + 1, color }];
  });
  for (const m of alarmMarks) {
    doc
      .moveTo(m.x - 3.2, py - 8)
      .lineTo(m.x + 3.2, py - 8)
      .lineTo(m.x, py - 2)
      .closePath()
      .fill(m.color);
  }
  doc.font(FONT.bold).fontSize(6);
  const groupText = (g: readonly (typeof alarmMarks)[number][]) =>
    numberList(
      'A',
      g.map((m) => m.n),
    );
  const alarmWishes = groupMarks(alarmMarks, (g) => 4.5 + doc.widthOfString(groupText(g)) + 2, 3.2).map(
    (g) => {
      const first = g[0] as (typeof alarmMarks)[number];
      const last = g[g.length - 1] as (typeof alarmMarks)[number];
      const text = groupText(g);
      const w = doc.widthOfString(text);
      // the most severe colour of the group
      const color = g.some((m) => m.color === COLOR.bad) ? COLOR.bad : last.color;
      // right of the marks, or left of them at the right edge of the plot
      const x = last.x + 4.5 + w <= px + pw + 6 ? last.x + 4.5 : first.x - 4.5 - w;
      return { x, w, text, color, size: 6 };
    },
  );
  // alarm labels first, each right of its own marks (a label moved far would name the wrong
  // mark); dispatch and delivery labels then take the nearest free place
  const ordered = [...alarmWishes, ...wishes];
  const obstacles = alarmMarks.map((m) => ({ x: m.x - 3.2, w: 6.4 }));
  const alarmAt = placeLabels(alarmWishes, {
    min: px - 20,
    max: px + pw + 6,
    maxShift: 6,
    gap: 2,
    obstacles,
  });
  const markAt = placeLabels(wishes, {
    min: px,
    max: px + pw,
    maxShift: 60,
    gap: 2,
    obstacles: [
      ...obstacles,
      ...alarmWishes.flatMap((w, i) => (alarmAt[i] == null ? [] : [{ x: alarmAt[i] as number, w: w.w }])),
    ],
  });
  const at = [...alarmAt, ...markAt];
  ordered.forEach((wsh, i) => {
    const x = at[i];
    if (x === null || x === undefined) return;
    doc
      .font(FONT.bold)
      .fontSize(wsh.size)
      .fillColor(wsh.color)
      .text(wsh.text, x, py - 12 + (6.5 - wsh.size), { lineBreak: false });
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
