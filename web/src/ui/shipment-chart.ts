/**
 * The temperature chart of one shipment (uPlot): the line over the trip, the profile's range as
 * a shaded band with its limit lines, every excursion shaded over its whole interval (red above
 * the range, blue below), dispatch and delivery as vertical marks, and data gaps as breaks in the
 * line. The shading is drawn in uPlot's `drawClear` hook, under the series, so the line stays
 * readable; the figure's `data-excursions-shaded` says how many intervals were actually drawn.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from '../dom.ts';
import { absTime } from '../format.ts';
import { gapsMs, ms } from '../instant.ts';
import type { TempRange } from '../shipment-view.ts';
import { tzDate } from '../timezone.ts';
import type { ExcursionView, Series } from '../types.ts';
import { legendTime, TIME_AXIS } from './chart.ts';

const LINE = '#0b63ce';
const BAND_FILL = 'rgba(26, 127, 55, 0.09)';
const LIMIT = '#cf222e';
const HEAT_FILL = 'rgba(207, 34, 46, 0.16)';
const HEAT_EDGE = 'rgba(207, 34, 46, 0.55)';
const COLD_FILL = 'rgba(9, 105, 218, 0.16)';
const COLD_EDGE = 'rgba(9, 105, 218, 0.55)';
const MARK = '#59636e';

export interface ShipmentChartInput {
  series: Series;
  from: number;
  to: number;
  range: TempRange | null;
  excursions: ExcursionView[];
  marks: { at: number; label: string }[];
}

export interface ShipmentChart {
  el: HTMLElement;
  destroy(): void;
}

export function createShipmentChart(input: ShipmentChartInput, height = 280): ShipmentChart {
  const { range, excursions, marks } = input;
  const plot = h('div', { class: 'chart-plot' });
  const el = h(
    'figure',
    {
      class: 'chart shipment-chart',
      testid: 'shipment-chart',
      'aria-label': `Temperature during the trip${excursions.length ? `, ${excursions.length} excursion${excursions.length === 1 ? '' : 's'} shaded` : ''}`,
    },
    h(
      'figcaption',
      { class: 'chart-title' },
      h('span', null, 'Temperature', h('span', { class: 'muted' }, ' (°C)')),
      h(
        'span',
        { class: 'chart-legend-inline' },
        range
          ? h(
              'span',
              { class: 'chart-limit' },
              h('span', { class: 'swatch swatch-band' }),
              `Allowed ${range.lowerC} to ${range.upperC} °C`,
            )
          : null,
        excursions.some((e) => e.kind === 'above')
          ? h('span', { class: 'chart-limit' }, h('span', { class: 'swatch swatch-heat' }), 'Above range')
          : null,
        excursions.some((e) => e.kind === 'below')
          ? h('span', { class: 'chart-limit' }, h('span', { class: 'swatch swatch-cold' }), 'Below range')
          : null,
      ),
    ),
    plot,
  );

  // Columns: x (s), temperature, backfilled temperature.
  const xs: number[] = [];
  const ys: (number | null)[] = [];
  const bf: (number | null)[] = [];
  const gaps = gapsMs(input.series.gaps);
  let g = 0;
  const mins: number[] = [];
  const maxs: number[] = [];
  for (const p of input.series.points) {
    const t = ms(p.ts);
    for (let gap = gaps[g]; gap && gap.to <= t; gap = gaps[++g]) {
      const mid = (gap.from + gap.to) / 2 / 1000;
      if (!xs.length || mid > (xs[xs.length - 1] ?? 0)) {
        xs.push(mid);
        ys.push(null);
        bf.push(null);
      }
    }
    const v = p.values.temp_c;
    const y = typeof v === 'number' ? v : null;
    xs.push(t / 1000);
    ys.push(y);
    bf.push(p.backfill ? y : null);
    const lo = p.min?.temp_c;
    const hi = p.max?.temp_c;
    if (typeof lo === 'number') mins.push(lo);
    if (typeof hi === 'number') maxs.push(hi);
  }

  const yRange = (_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax => {
    let lo = Math.min(min ?? Number.POSITIVE_INFINITY, ...mins);
    let hi = Math.max(max ?? Number.NEGATIVE_INFINITY, ...maxs);
    for (const e of excursions) {
      if (e.peakC === null) continue;
      lo = Math.min(lo, e.peakC);
      hi = Math.max(hi, e.peakC);
    }
    if (range) {
      lo = Math.min(lo, range.lowerC);
      hi = Math.max(hi, range.upperC);
    }
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 10];
    const pad = Math.max((hi - lo) * 0.12, 0.5);
    return [lo - pad, hi + pad];
  };

  const drawShading = (u: uPlot) => {
    const { ctx, bbox } = u;
    const dpr = devicePixelRatio || 1;
    ctx.save();
    if (range) {
      const top = Math.max(bbox.top, u.valToPos(range.upperC, 'y', true));
      const bottom = Math.min(bbox.top + bbox.height, u.valToPos(range.lowerC, 'y', true));
      ctx.fillStyle = BAND_FILL;
      if (bottom > top) ctx.fillRect(bbox.left, top, bbox.width, bottom - top);
    }
    let shaded = 0;
    for (const e of excursions) {
      let x0 = u.valToPos(ms(e.start) / 1000, 'x', true);
      let x1 = u.valToPos(ms(e.end) / 1000, 'x', true);
      x0 = Math.max(bbox.left, x0);
      x1 = Math.min(bbox.left + bbox.width, x1);
      if (x1 < bbox.left || x0 > bbox.left + bbox.width) continue;
      // A very short excursion still gets a visible stripe.
      if (x1 - x0 < 3 * dpr) x1 = x0 + 3 * dpr;
      ctx.fillStyle = e.kind === 'above' ? HEAT_FILL : COLD_FILL;
      ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
      ctx.fillStyle = e.kind === 'above' ? HEAT_EDGE : COLD_EDGE;
      ctx.fillRect(x0, bbox.top, x1 - x0, 3 * dpr);
      shaded++;
    }
    ctx.restore();
    el.dataset.excursionsShaded = String(shaded);
  };

  const drawMarks = (u: uPlot) => {
    const { ctx, bbox } = u;
    const dpr = devicePixelRatio || 1;
    ctx.save();
    ctx.font = `600 ${11 * dpr}px Arial, 'Liberation Sans', sans-serif`;
    // Limit lines.
    if (range) {
      ctx.strokeStyle = LIMIT;
      ctx.fillStyle = LIMIT;
      ctx.lineWidth = 1.5 * dpr;
      ctx.setLineDash([6 * dpr, 4 * dpr]);
      ctx.textAlign = 'right';
      for (const [v, word] of [
        [range.upperC, 'max'],
        [range.lowerC, 'min'],
      ] as const) {
        const y = Math.round(u.valToPos(v, 'y', true)) + 0.5;
        if (y < bbox.top || y > bbox.top + bbox.height) continue;
        ctx.beginPath();
        ctx.moveTo(bbox.left, y);
        ctx.lineTo(bbox.left + bbox.width, y);
        ctx.stroke();
        const text = `${word} ${v} °C`;
        const ty = word === 'max' ? y - 5 * dpr : y + 14 * dpr;
        const tx = bbox.left + bbox.width - 4 * dpr;
        ctx.save();
        ctx.setLineDash([]);
        ctx.lineWidth = 4 * dpr;
        ctx.strokeStyle = 'rgba(255, 255, 255, 0.9)';
        ctx.lineJoin = 'round';
        ctx.strokeText(text, tx, ty);
        ctx.restore();
        ctx.fillText(text, tx, ty);
      }
    }
    // Dispatch / delivery marks.
    ctx.setLineDash([2 * dpr, 3 * dpr]);
    ctx.strokeStyle = MARK;
    ctx.fillStyle = MARK;
    ctx.lineWidth = 1 * dpr;
    for (const m of marks) {
      const x = Math.round(u.valToPos(m.at / 1000, 'x', true)) + 0.5;
      if (x < bbox.left - 1 || x > bbox.left + bbox.width + 1) continue;
      ctx.beginPath();
      ctx.moveTo(x, bbox.top);
      ctx.lineTo(x, bbox.top + bbox.height);
      ctx.stroke();
      const right = x > bbox.left + bbox.width / 2;
      ctx.textAlign = right ? 'right' : 'left';
      const tx = right ? x - 4 * dpr : x + 4 * dpr;
      const ty = bbox.top + 12 * dpr;
      ctx.save();
      ctx.setLineDash([]);
      ctx.lineWidth = 4 * dpr;
      ctx.strokeStyle = 'rgba(255, 255, 255, 0.9)';
      ctx.strokeText(m.label, tx, ty);
      ctx.restore();
      ctx.fillText(m.label, tx, ty);
    }
    ctx.restore();
  };

  const u = new uPlot(
    {
      tzDate,
      width: 600,
      height,
      padding: [12, 12, 0, 4],
      cursor: { drag: { x: false, y: false }, points: { size: 7 } },
      legend: { show: true, live: true },
      scales: {
        x: { time: true, range: () => [input.from / 1000, input.to / 1000] },
        y: { range: yRange },
      },
      axes: [
        TIME_AXIS,
        {
          stroke: '#59636e',
          grid: { stroke: '#e6eaef', width: 1 },
          ticks: { stroke: '#e6eaef', width: 1 },
          size: 52,
          values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : v.toFixed(1))),
        },
      ],
      series: [
        { label: 'Time', value: legendTime },
        {
          label: 'Temperature',
          stroke: LINE,
          width: 1.75,
          spanGaps: false,
          value: (_u, v) => (v === null || v === undefined ? '–' : `${v.toFixed(1)} °C`),
          points: { size: 4, fill: LINE },
        },
        {
          label: 'Backfilled',
          stroke: LINE,
          width: 0,
          paths: () => null,
          spanGaps: false,
          value: (_u, v) => (v === null || v === undefined ? '–' : `${v.toFixed(1)} °C`),
          points: { show: true, size: 7, width: 1.5, fill: '#ffffff', stroke: '#9a6700', space: 0 },
        },
      ],
      hooks: { drawClear: [drawShading], draw: [drawMarks] },
    },
    [xs, ys, bf] as unknown as uPlot.AlignedData,
    plot,
  );

  const ro = new ResizeObserver(() => {
    const w = Math.max(240, plot.clientWidth);
    if (Math.abs(u.width - w) > 1) u.setSize({ width: w, height });
  });
  ro.observe(plot);
  el.title = `${absTime(input.from)} to ${absTime(input.to)}`;

  return {
    el,
    destroy() {
      ro.disconnect();
      u.destroy();
    },
  };
}
