/**
 * A time-series chart (uPlot) for one field: the line, the min–max spread of downsampled
 * buckets, the allowed range (shaded band or limit lines with labels), gaps as breaks in the
 * line (a null point inside each gap the API reports) and backfilled points as hollow markers.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from '../dom.ts';
import { absTime } from '../format.ts';
import { gapsMs, ms } from '../instant.ts';
import { FIELDS, fmtLimit } from '../profiles.ts';
import { tzDate, zoned } from '../timezone.ts';
import type { FieldLimit, Series, SeriesPoint } from '../types.ts';

export interface ChartOptions {
  title: string;
  field: string;
  colour: string;
  limit: FieldLimit | null;
  /** Shade the allowed range (cold chain 2–8 °C) instead of only drawing its lines. */
  band: boolean;
  /** Called with the interval (ms) the user dragged across; none: no zoom by drag. */
  onZoom?: (from: number, to: number) => void;
  /** The words before the limit in the caption (default `Allowed`). */
  limitLabel?: string;
  height?: number;
  /** Visible time range in ms; moves with `now` on live appends. */
  rangeMs: number;
}

export interface TimeChart {
  el: HTMLElement;
  setSeries(s: Series, from: number, to: number): void;
  /** Appends a live point (ignored if older than the last one; backfill is redrawn on reload). */
  append(p: SeriesPoint): void;
  destroy(): void;
}

const LIMIT_COLOUR = '#cf222e';
const BAND_FILL = 'rgba(26, 127, 55, 0.08)';
const GRID = '#e6eaef';
const AXIS = '#59636e';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/**
 * Tick labels of a time axis in local time, 24-hour clock: `14:30`, a date (`21 Nov`) at
 * midnight and when ticks are a day or more apart, seconds only for sub-minute ticks.
 */
export function timeTicks(
  _u: uPlot,
  splits: number[],
  _axis: number,
  _space: number,
  incr: number,
): string[] {
  return splits.map((s) => {
    const d = zoned(s * 1000);
    const date = `${d.day} ${MONTHS[d.month - 1]}`;
    if (incr >= 86_400) return date;
    if (d.hour === 0 && d.minute === 0 && d.second === 0) return date;
    const hm = `${p2(d.hour)}:${p2(d.minute)}`;
    return incr < 60 ? `${hm}:${p2(d.second)}` : hm;
  });
}

/** The x axis every chart of the dashboard uses. */
export const TIME_AXIS: uPlot.Axis = {
  stroke: '#59636e',
  grid: { stroke: '#e6eaef', width: 1 },
  ticks: { stroke: '#e6eaef', width: 1 },
  values: timeTicks,
  space: 60,
};

/** The legend's time cell. */
export const legendTime = (_u: uPlot, v: number | null) => (v === null ? '–' : absTime(v * 1000));

function hexAlpha(hex: string, a: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

export function createTimeChart(opts: ChartOptions): TimeChart {
  const meta = FIELDS[opts.field] ?? { unit: '', digits: 1, label: opts.field };
  const fmt = (v: number | null | undefined) =>
    v === null || v === undefined ? '–' : `${v.toFixed(meta.digits)} ${meta.unit}`;
  const plot = h('div', { class: 'chart-plot' });
  const limitText = fmtLimit(opts.field, opts.limit);
  const el = h(
    'figure',
    { class: 'chart', testid: `chart-${opts.field}` },
    h(
      'figcaption',
      { class: 'chart-title' },
      h('span', null, opts.title, h('span', { class: 'muted' }, ` (${meta.unit})`)),
      limitText
        ? h(
            'span',
            { class: 'chart-limit' },
            h('span', { class: opts.band ? 'swatch swatch-band' : 'swatch swatch-limit' }),
            `${opts.limitLabel ?? 'Allowed'} ${limitText}`,
          )
        : null,
    ),
    plot,
  );

  // Columns: x (s), value, backfilled value, bucket min, bucket max.
  let xs: number[] = [];
  let ys: (number | null)[] = [];
  let bf: (number | null)[] = [];
  let mins: (number | null)[] = [];
  let maxs: (number | null)[] = [];
  let fromS = (Date.now() - opts.rangeMs) / 1000;
  let toS = Date.now() / 1000;
  const l = opts.limit;

  const yRange = (_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax => {
    let lo = min ?? Number.POSITIVE_INFINITY;
    let hi = max ?? Number.NEGATIVE_INFINITY;
    for (const v of mins) if (v !== null && v < lo) lo = v;
    for (const v of maxs) if (v !== null && v > hi) hi = v;
    if (l?.min !== undefined) lo = Math.min(lo, l.min);
    if (l?.max !== undefined) hi = Math.max(hi, l.max);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
    const pad = Math.max((hi - lo) * 0.12, 0.5);
    return [lo - pad, hi + pad];
  };

  const drawBand = (u: uPlot) => {
    if (!l || !opts.band) return;
    const { ctx, bbox } = u;
    const top = l.max !== undefined ? u.valToPos(l.max, 'y', true) : bbox.top;
    const bottom = l.min !== undefined ? u.valToPos(l.min, 'y', true) : bbox.top + bbox.height;
    ctx.save();
    ctx.fillStyle = BAND_FILL;
    ctx.fillRect(
      bbox.left,
      Math.max(bbox.top, top),
      bbox.width,
      Math.min(bbox.top + bbox.height, bottom) - Math.max(bbox.top, top),
    );
    ctx.restore();
  };

  // The spread of each downsampled bucket, broken where the value is null (gap).
  const drawSpread = (u: uPlot) => {
    if (!mins.some((v) => v !== null)) return;
    const { ctx } = u;
    ctx.save();
    ctx.fillStyle = hexAlpha(opts.colour, 0.16);
    let seg: [number, number, number][] = [];
    const flush = () => {
      if (seg.length > 1) {
        ctx.beginPath();
        for (const [i, [x, , hi]] of seg.entries()) {
          if (i) ctx.lineTo(x, hi);
          else ctx.moveTo(x, hi);
        }
        for (let i = seg.length - 1; i >= 0; i--) {
          const s = seg[i];
          if (s) ctx.lineTo(s[0], s[1]);
        }
        ctx.closePath();
        ctx.fill();
      }
      seg = [];
    };
    for (let i = 0; i < xs.length; i++) {
      const lo = mins[i];
      const hi = maxs[i];
      const x = xs[i];
      if (
        lo === null ||
        hi === null ||
        lo === undefined ||
        hi === undefined ||
        x === undefined ||
        ys[i] === null
      ) {
        flush();
        continue;
      }
      seg.push([u.valToPos(x, 'x', true), u.valToPos(lo, 'y', true), u.valToPos(hi, 'y', true)]);
    }
    flush();
    ctx.restore();
  };

  const drawLimits = (u: uPlot) => {
    if (!l) return;
    const { ctx, bbox } = u;
    const dpr = devicePixelRatio || 1;
    ctx.save();
    ctx.strokeStyle = LIMIT_COLOUR;
    ctx.fillStyle = LIMIT_COLOUR;
    ctx.lineWidth = 1.5 * dpr;
    ctx.setLineDash([6 * dpr, 4 * dpr]);
    ctx.font = `600 ${11 * dpr}px Arial, 'Liberation Sans', sans-serif`;
    ctx.textAlign = 'right';
    for (const [v, word] of [
      [l.max, 'max'],
      [l.min, 'min'],
    ] as const) {
      if (v === undefined) continue;
      const y = Math.round(u.valToPos(v, 'y', true)) + 0.5;
      if (y < bbox.top || y > bbox.top + bbox.height) continue;
      ctx.beginPath();
      ctx.moveTo(bbox.left, y);
      ctx.lineTo(bbox.left + bbox.width, y);
      ctx.stroke();
      // The label sits on a white halo so a line passing under it stays readable.
      const text = `${word} ${v} ${meta.unit}`;
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
    ctx.restore();
  };

  const u = new uPlot(
    {
      tzDate,
      width: 600,
      height: opts.height ?? 220,
      padding: [12, 12, 0, 4],
      // Drag selects an interval; the page loads it (setScale off: the range stays the page's).
      cursor: { drag: { x: Boolean(opts.onZoom), y: false, setScale: false }, points: { size: 7 } },
      legend: { show: true, live: true },
      scales: {
        x: { time: true, range: () => [fromS, toS] },
        y: { range: yRange },
      },
      axes: [
        TIME_AXIS,
        {
          stroke: AXIS,
          grid: { stroke: GRID, width: 1 },
          ticks: { stroke: GRID, width: 1 },
          size: 52,
          values: (_u, splits) =>
            splits.map((v) => (Number.isInteger(v) ? String(v) : v.toFixed(meta.digits || 1))),
        },
      ],
      series: [
        { label: 'Time', value: legendTime },
        {
          label: meta.label,
          stroke: opts.colour,
          width: 1.75,
          spanGaps: false,
          value: (_u, v) => fmt(v),
          points: { size: 4, fill: opts.colour },
        },
        {
          label: 'Backfilled',
          stroke: opts.colour,
          width: 0,
          paths: () => null,
          spanGaps: false,
          value: (_u, v) => fmt(v),
          points: { show: true, size: 7, width: 1.5, fill: '#ffffff', stroke: '#9a6700', space: 0 },
        },
      ],
      hooks: {
        drawClear: [drawBand, drawSpread],
        draw: [drawLimits],
        setSelect: [
          (u) => {
            if (!opts.onZoom || u.select.width < 4) return;
            const from = u.posToVal(u.select.left, 'x') * 1000;
            const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            opts.onZoom(Math.round(from), Math.round(to));
          },
        ],
      },
    },
    [[], [], []],
    plot,
  );

  const redraw = () => u.setData([xs, ys, bf] as unknown as uPlot.AlignedData);

  const ro = new ResizeObserver(() => {
    const w = Math.max(240, plot.clientWidth);
    if (Math.abs(u.width - w) > 1) u.setSize({ width: w, height: opts.height ?? 220 });
  });
  ro.observe(plot);

  return {
    el,
    setSeries(series, from, to) {
      fromS = from / 1000;
      toS = to / 1000;
      xs = [];
      ys = [];
      bf = [];
      mins = [];
      maxs = [];
      const gaps = gapsMs(series.gaps);
      let g = 0;
      const pushNull = (ts: number) => {
        xs.push(ts / 1000);
        ys.push(null);
        bf.push(null);
        mins.push(null);
        maxs.push(null);
      };
      for (const p of series.points) {
        const t = ms(p.ts);
        // A null inside every reported gap that precedes this point breaks the line there.
        for (let gap = gaps[g]; gap && gap.to <= t; gap = gaps[++g]) {
          const mid = (gap.from + gap.to) / 2;
          if (!xs.length || mid / 1000 > (xs[xs.length - 1] ?? 0)) pushNull(mid);
        }
        const v = p.values[opts.field];
        const y = typeof v === 'number' ? v : null;
        xs.push(t / 1000);
        ys.push(y);
        bf.push(p.backfill ? y : null);
        mins.push(p.min?.[opts.field] ?? null);
        maxs.push(p.max?.[opts.field] ?? null);
      }
      for (let gap = gaps[g]; gap; gap = gaps[++g]) pushNull((gap.from + gap.to) / 2);
      redraw();
    },
    append(p) {
      const x = ms(p.ts) / 1000;
      const last = xs[xs.length - 1];
      if (last !== undefined && x <= last) return;
      const v = p.values[opts.field];
      const y = typeof v === 'number' ? v : null;
      xs.push(x);
      ys.push(y);
      bf.push(p.backfill ? y : null);
      mins.push(null);
      maxs.push(null);
      const now = Date.now() / 1000;
      if (now > toS) {
        toS = now;
        fromS = now - opts.rangeMs / 1000;
      }
      // Drop what scrolled out of the window (bounded memory on a page left open).
      let cut = 0;
      while (cut < xs.length && (xs[cut] ?? 0) < fromS) cut++;
      if (cut) {
        xs = xs.slice(cut);
        ys = ys.slice(cut);
        bf = bf.slice(cut);
        mins = mins.slice(cut);
        maxs = maxs.slice(cut);
      }
      redraw();
    },
    destroy() {
      ro.disconnect();
      u.destroy();
    },
  };
}
