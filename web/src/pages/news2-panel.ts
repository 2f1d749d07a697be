/**
 * NEWS2 trend of a patient-vitals device, scored in the browser from the readings the device
 * page already loads (web/src/news2-score.ts, on the server's own scoring code).
 *
 * The chart shows the aggregate score as a step line over the Royal College of Physicians (2017)
 * response bands: 0-4 low, 5-6 medium (urgent response), 7 or more high (emergency response);
 * points where a single parameter scored 3 (low-medium, "red score") are marked. A downsampled
 * bucket is scored on the worst value of each vital within it (its min, mean or max, whichever
 * scores highest), so averaging never hides a deterioration.
 *
 * It has the shape of the device page's charts (`TimeChart`), so the page adds it with one line.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { News2Band } from '../../../src/rules/news2.ts';
import { cx, h, replace } from '../dom.ts';
import { absTime } from '../format.ts';
import { gapsMs } from '../instant.ts';
import { type News2Point, news2Series, scorePoint } from '../news2-score.ts';
import { legendTime, TIME_AXIS, type TimeChart } from '../ui/chart.ts';
import './news2-panel.css';
import { tzDate } from '../timezone.ts';

const LINE = '#7048e8';
const RED = '#c62828';
const BAND_COLOURS: [number, number, string][] = [
  [0, 4.5, 'rgba(26, 127, 55, 0.07)'],
  [4.5, 6.5, 'rgba(212, 167, 44, 0.13)'],
  [6.5, 30, 'rgba(198, 40, 40, 0.10)'],
];

export const BAND_TEXT: Record<News2Band, string> = {
  low: 'Low (0–4): ward-based response',
  'low-medium': 'Low–medium (3 in one parameter): urgent ward-based response',
  medium: 'Medium (5–6): urgent response',
  high: 'High (7 or more): emergency response',
};

export const BAND_TONE: Record<News2Band, 'ok' | 'warn' | 'bad'> = {
  low: 'ok',
  'low-medium': 'warn',
  medium: 'warn',
  high: 'bad',
};

const PARAM_LABEL: Record<string, string> = {
  respiration: 'Respiration',
  spo2: 'SpO₂',
  airOrOxygen: 'Air or O₂',
  systolicBp: 'Systolic BP',
  pulse: 'Pulse',
  consciousness: 'Consciousness',
  temperature: 'Temperature',
};

/**
 * The NEWS2 panel: the latest score with its band and parameter breakdown, and the trend chart.
 * Same contract as the device page's charts (`setSeries`, `append`, `destroy`).
 */
export function createNews2Chart(opts: { rangeMs: number; height?: number }): TimeChart {
  const height = opts.height ?? 190;
  const plot = h('div', { class: 'chart-plot' });
  const latest = h('div', { class: 'news2-latest', testid: 'news2-latest' });
  const el = h(
    'figure',
    { class: 'chart news2-panel', testid: 'chart-news2' },
    h(
      'figcaption',
      { class: 'chart-title' },
      h('span', null, 'NEWS2 score', h('span', { class: 'muted' }, ' (RCP 2017)')),
      h(
        'span',
        { class: 'chart-legend-inline' },
        h('span', { class: 'chart-limit' }, h('span', { class: 'swatch news2-swatch-low' }), '0–4'),
        h('span', { class: 'chart-limit' }, h('span', { class: 'swatch news2-swatch-medium' }), '5–6'),
        h('span', { class: 'chart-limit' }, h('span', { class: 'swatch news2-swatch-high' }), '7+'),
        h('span', { class: 'chart-limit' }, h('span', { class: 'news2-red-dot' }), '3 in one parameter'),
      ),
    ),
    latest,
    plot,
  );

  let xs: number[] = [];
  let ys: (number | null)[] = [];
  let reds: (number | null)[] = [];
  let last: News2Point | null = null;
  let fromS = (Date.now() - opts.rangeMs) / 1000;
  let toS = Date.now() / 1000;

  const drawBands = (u: uPlot) => {
    const { ctx, bbox } = u;
    ctx.save();
    for (const [lo, hi, colour] of BAND_COLOURS) {
      const top = Math.max(bbox.top, u.valToPos(hi, 'y', true));
      const bottom = Math.min(bbox.top + bbox.height, u.valToPos(lo, 'y', true));
      if (bottom <= top) continue;
      ctx.fillStyle = colour;
      ctx.fillRect(bbox.left, top, bbox.width, bottom - top);
    }
    ctx.restore();
  };

  const u = new uPlot(
    {
      tzDate,
      width: 600,
      height,
      padding: [10, 12, 0, 4],
      cursor: { drag: { x: false, y: false }, points: { size: 7 } },
      legend: { show: true, live: true },
      scales: {
        x: { time: true, range: () => [fromS, toS] },
        y: {
          range: (_u, _min, max) => [0, Math.max(9, Math.ceil((max ?? 0) + 1))],
        },
      },
      axes: [
        TIME_AXIS,
        {
          stroke: '#59636e',
          grid: { stroke: '#e6eaef', width: 1 },
          ticks: { stroke: '#e6eaef', width: 1 },
          size: 40,
          // Ticks on the response thresholds: 3 (one parameter), 5 (medium), 7 (high).
          splits: (u) => {
            const max = u.scales.y?.max ?? 9;
            return [0, 3, 5, 7, ...[10, 15, 20].filter((v) => v <= max)];
          },
          values: (_u, splits) => splits.map((v) => String(v)),
        },
      ],
      series: [
        { label: 'Time', value: legendTime },
        {
          label: 'NEWS2',
          stroke: LINE,
          width: 2,
          spanGaps: false,
          paths: uPlot.paths.stepped?.({ align: 1 }),
          value: (_u, v) => (v === null || v === undefined ? '–' : String(v)),
          points: { show: false },
        },
        {
          label: '3 in one parameter',
          stroke: RED,
          width: 0,
          paths: () => null,
          value: (_u, v) => (v === null || v === undefined ? '–' : 'yes'),
          points: { show: true, size: 8, width: 2, fill: '#ffffff', stroke: RED, space: 0 },
        },
      ],
      hooks: { drawClear: [drawBands] },
    },
    [[], [], []],
    plot,
  );

  const redraw = () => u.setData([xs, ys, reds] as unknown as uPlot.AlignedData);

  function renderLatest(): void {
    if (!last) {
      replace(
        latest,
        h(
          'span',
          { class: 'muted small' },
          'No complete vitals set in this range (NEWS2 needs all seven parameters).',
        ),
      );
      return;
    }
    const p = last;
    replace(
      latest,
      h(
        'span',
        {
          class: cx('news2-score', `news2-${BAND_TONE[p.band]}`),
          testid: 'news2-score',
          title: BAND_TEXT[p.band],
        },
        String(p.total),
      ),
      h(
        'span',
        { class: 'news2-band' },
        h('strong', null, BAND_TEXT[p.band]),
        h('span', { class: 'muted small' }, ` · ${absTime(p.ts)}`),
      ),
      h(
        'span',
        { class: 'news2-params' },
        Object.entries(p.parameters).map(([k, v]) =>
          h(
            'span',
            { class: cx('news2-param', v === 3 && 'news2-param-red', v > 0 && 'news2-param-on') },
            `${PARAM_LABEL[k] ?? k} ${v}`,
          ),
        ),
      ),
    );
  }

  const ro = new ResizeObserver(() => {
    const w = Math.max(240, plot.clientWidth);
    if (Math.abs(u.width - w) > 1) u.setSize({ width: w, height });
  });
  ro.observe(plot);
  renderLatest();

  return {
    el,
    setSeries(series, from, to) {
      fromS = from / 1000;
      toS = to / 1000;
      const gaps = gapsMs(series.gaps);
      xs = [];
      ys = [];
      reds = [];
      let g = 0;
      for (const p of news2Series(series)) {
        for (let gap = gaps[g]; gap && gap.to <= p.ts; gap = gaps[++g]) {
          const mid = (gap.from + gap.to) / 2 / 1000;
          if (!xs.length || mid > (xs[xs.length - 1] ?? 0)) {
            xs.push(mid);
            ys.push(null);
            reds.push(null);
          }
        }
        xs.push(p.ts / 1000);
        ys.push(p.total);
        reds.push(p.redScore ? p.total : null);
        last = p;
      }
      if (!xs.length) last = null;
      renderLatest();
      redraw();
    },
    append(point) {
      const p = scorePoint(point);
      if (!p) return;
      const x = p.ts / 1000;
      const lastX = xs[xs.length - 1];
      if (lastX !== undefined && x <= lastX) return;
      xs.push(x);
      ys.push(p.total);
      reds.push(p.redScore ? p.total : null);
      last = p;
      const now = Date.now() / 1000;
      if (now > toS) {
        toS = now;
        fromS = now - opts.rangeMs / 1000;
      }
      let cut = 0;
      while (cut < xs.length && (xs[cut] ?? 0) < fromS) cut++;
      if (cut) {
        xs = xs.slice(cut);
        ys = ys.slice(cut);
        reds = reds.slice(cut);
      }
      renderLatest();
      redraw();
    },
    destroy() {
      ro.disconnect();
      u.destroy();
    },
  };
}
