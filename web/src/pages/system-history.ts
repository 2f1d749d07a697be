/**
 * The system page's history: throughput and rejections per reason per second, from successive
 * status snapshots, kept while the tab lives (revisiting the page keeps it), and its chart.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { ms } from '../instant.ts';
import { tzDate } from '../timezone.ts';
import type { SystemStatus } from '../types.ts';
import { legendTime, TIME_AXIS } from '../ui/chart.ts';

const HISTORY_MAX = 720; // 1 h at 5 s

/** Throughput and rejection history, kept while the tab lives so revisiting the page keeps it. */
export const history: {
  t: number[];
  accepted: number[];
  readings: number[];
  rejected: number[];
  byReason: Map<string, number[]>;
} = {
  t: [],
  accepted: [],
  readings: [],
  rejected: [],
  byReason: new Map(),
};
let lastTotals: { t: number; byReason: Record<string, number> } | null = null;

export function record(s: SystemStatus): void {
  const t = ms(s.now) / 1000;
  if (history.t.length && t <= (history.t[history.t.length - 1] ?? 0)) return;
  history.t.push(t);
  history.accepted.push(s.ingest.throughput.acceptedPerSec);
  history.readings.push(s.ingest.throughput.readingsPerSec);
  history.rejected.push(s.ingest.throughput.rejectedPerSec);
  // Rejections per reason per second, from the difference of the since-start totals.
  const now = s.rejections.sinceStart ?? {};
  for (const reason of new Set([...Object.keys(now), ...history.byReason.keys()])) {
    let arr = history.byReason.get(reason);
    if (!arr) {
      arr = new Array(history.t.length - 1).fill(0);
      history.byReason.set(reason, arr);
    }
    const prev = lastTotals?.byReason[reason] ?? now[reason] ?? 0;
    const dt = lastTotals ? t - lastTotals.t : 0;
    arr.push(dt > 0 ? Math.max(0, ((now[reason] ?? 0) - prev) / dt) : 0);
  }
  lastTotals = { t, byReason: { ...now } };
  if (history.t.length > HISTORY_MAX) {
    const cut = history.t.length - HISTORY_MAX;
    history.t.splice(0, cut);
    history.accepted.splice(0, cut);
    history.readings.splice(0, cut);
    history.rejected.splice(0, cut);
    for (const arr of history.byReason.values()) arr.splice(0, cut);
  }
}

const REASON_COLOURS = [
  '#cf222e',
  '#bc4c00',
  '#8250df',
  '#0969da',
  '#1a7f37',
  '#9a6700',
  '#57606a',
  '#bf3989',
];

/** The throughput and rejections chart over {@link history}; `update` redraws it in `host`. */
export function throughputChart(host: HTMLElement): { update(): void; destroy(): void } {
  let chart: uPlot | null = null;
  let chartReasons: string[] = [];
  const ro = new ResizeObserver(() => {
    if (chart) chart.setSize({ width: Math.max(280, host.clientWidth), height: 170 });
  });
  ro.observe(host);
  function update(): void {
    const reasons = [...history.byReason.keys()].sort();
    const data = [
      history.t,
      history.accepted,
      history.readings,
      ...reasons.map((r) => history.byReason.get(r) ?? []),
    ] as unknown as uPlot.AlignedData;
    if (chart && reasons.join() === chartReasons.join() && chart.root.isConnected) {
      chart.setData(data);
      return;
    }
    chart?.destroy();
    chartReasons = reasons;
    const fmt = (_u: uPlot, v: number | null) => (v === null ? '–' : `${v.toFixed(2)}/s`);
    chart = new uPlot(
      {
        tzDate,
        width: Math.max(280, host.clientWidth || 600),
        height: 170,
        padding: [10, 10, 0, 0],
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: true, range: (_u, min, max) => [Math.min(min, max - 60), max] },
          y: { range: (_u, _min, max) => [0, Math.max(1, (max ?? 0) * 1.15)] },
        },
        axes: [
          TIME_AXIS,
          { stroke: '#59636e', grid: { stroke: '#e6eaef' }, ticks: { stroke: '#e6eaef' }, size: 48 },
        ],
        series: [
          { label: 'Time', value: legendTime },
          { label: 'Accepted', stroke: '#0b63ce', width: 1.75, value: fmt, fill: 'rgba(11, 99, 206, 0.06)' },
          { label: 'Readings', stroke: '#0f8a7a', width: 1.5, value: fmt, dash: [4, 3] },
          ...reasons.map((r, i) => ({
            label: `Rejected: ${r}`,
            stroke: REASON_COLOURS[i % REASON_COLOURS.length],
            width: 1.5,
            value: fmt,
          })),
        ],
      },
      data,
      host,
    );
  }
  return {
    update,
    destroy: () => {
      ro.disconnect();
      chart?.destroy();
    },
  };
}
