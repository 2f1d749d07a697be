/**
 * Small, dependency-free SVG charts for the seclab report and the security evaluation: a p99
 * timeline of the good device during a flood, and a horizontal bar chart.
 */
import type { ServicePoint } from './seclab-types.ts';

const FONT = 'font-family="system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif"';
const INK = '#1f2328';
const MUTED = '#59636e';
const GRID = '#e6eaef';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The next of 1, 2, 5 x 10^n at or above `v` (log axes: their grid lines). */
function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** A round axis end at or above `v` for a linear axis of 4 steps. */
function linearCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  return v >= 10 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1);
}

export interface TimelineChart {
  title: string;
  points: readonly ServicePoint[];
  /** The attack phase, milliseconds on the same axis as the points. */
  attackFromMs: number;
  attackToMs: number;
  /** p99 before the attack, and the factor above which the verdict is "degraded". */
  baselineP99: number;
  thresholdRatio: number;
}

/**
 * The good device's p99 per second (log scale: a flood can move it by orders of magnitude), the
 * attack phase shaded, the baseline and the degradation threshold as lines, failed readings as
 * red marks along the bottom.
 */
export function timelineSvg(c: TimelineChart): string {
  const W = 680;
  const H = 260;
  const m = { l: 58, r: 16, t: 34, b: 40 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const sec = (ms: number) => ms / 1000;
  const tMax = Math.max(1, ...c.points.map((p) => sec(p.atMs) + 1));
  const values = c.points.map((p) => p.p99Ms).filter((v) => Number.isFinite(v) && v > 0);
  const threshold = c.baselineP99 * c.thresholdRatio;
  const yMax = niceCeil(Math.max(threshold * 1.5, ...values, 1));
  const yMin = Math.max(
    0.1,
    10 ** Math.floor(Math.log10(Math.max(0.1, Math.min(c.baselineP99 / 2, ...values)))),
  );
  const x = (t: number) => m.l + (t / tMax) * pw;
  const y = (v: number) =>
    m.t +
    ph -
    ((Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * ph;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" ${FONT} font-size="11">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${m.l}" y="18" font-size="13" font-weight="600" fill="${INK}">${esc(c.title)}</text>`);
  out.push(
    `<rect x="${x(sec(c.attackFromMs)).toFixed(1)}" y="${m.t}" width="${(x(sec(c.attackToMs)) - x(sec(c.attackFromMs))).toFixed(1)}" height="${ph}" fill="#fff1e5"/>`,
  );
  out.push(
    `<text x="${((x(sec(c.attackFromMs)) + x(sec(c.attackToMs))) / 2).toFixed(1)}" y="${m.t + 12}" text-anchor="middle" fill="#bc4c00">attack</text>`,
  );
  // y grid: each decade and its 2x, 5x
  for (let d = yMin; d <= yMax * 1.0001; d *= 10) {
    for (const k of [1, 2, 5]) {
      const v = d * k;
      if (v < yMin || v > yMax * 1.0001) continue;
      out.push(
        `<line x1="${m.l}" x2="${m.l + pw}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${GRID}"/>`,
      );
      out.push(
        `<text x="${m.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="${MUTED}">${fmt(v)}</text>`,
      );
    }
  }
  out.push(
    `<text x="14" y="${m.t + ph / 2}" transform="rotate(-90 14 ${m.t + ph / 2})" text-anchor="middle" fill="${MUTED}">p99 round trip, ms (log)</text>`,
  );
  // x ticks every 5 s
  for (let t = 0; t <= tMax; t += 5) {
    out.push(
      `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${m.t + ph}" y2="${m.t + ph + 4}" stroke="${MUTED}"/>`,
    );
    out.push(
      `<text x="${x(t).toFixed(1)}" y="${m.t + ph + 16}" text-anchor="middle" fill="${MUTED}">${t}</text>`,
    );
  }
  out.push(`<text x="${m.l + pw / 2}" y="${H - 6}" text-anchor="middle" fill="${MUTED}">seconds</text>`);
  if (Number.isFinite(c.baselineP99)) {
    out.push(
      `<line x1="${m.l}" x2="${m.l + pw}" y1="${y(c.baselineP99).toFixed(1)}" y2="${y(c.baselineP99).toFixed(1)}" stroke="#1a7f37" stroke-width="1"/>`,
    );
    out.push(
      `<line x1="${m.l}" x2="${m.l + pw}" y1="${y(threshold).toFixed(1)}" y2="${y(threshold).toFixed(1)}" stroke="#cf222e" stroke-dasharray="5 4"/>`,
    );
    out.push(
      `<text x="${m.l + pw - 4}" y="${(y(threshold) - 4).toFixed(1)}" text-anchor="end" fill="#cf222e">${c.thresholdRatio}x baseline (${fmt(threshold)} ms)</text>`,
    );
    out.push(
      `<text x="${m.l + pw - 4}" y="${(y(c.baselineP99) + 13).toFixed(1)}" text-anchor="end" fill="#1a7f37">baseline p99 ${fmt(c.baselineP99)} ms</text>`,
    );
  }
  // the series, broken where a second had no acknowledged reading
  let d = '';
  let pen = false;
  for (const p of c.points) {
    if (!Number.isFinite(p.p99Ms)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x(sec(p.atMs) + 0.5).toFixed(1)},${y(p.p99Ms).toFixed(1)}`;
    pen = true;
  }
  out.push(`<path d="${d}" fill="none" stroke="#0b63ce" stroke-width="1.75" stroke-linejoin="round"/>`);
  for (const p of c.points) {
    if (p.failed > 0) {
      out.push(
        `<rect x="${x(sec(p.atMs)).toFixed(1)}" y="${m.t + ph - 6}" width="${Math.max(2, pw / tMax - 1).toFixed(1)}" height="6" fill="#cf222e"><title>${p.failed} failed</title></rect>`,
      );
    }
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="${GRID}"/>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

export interface Bar {
  label: string;
  value: number;
  /** Shown at the bar's end (default: the value). */
  text?: string;
}

/** Horizontal bars, one per row, sharing a linear axis from 0. */
export function barChartSvg(title: string, unit: string, bars: readonly Bar[]): string {
  const W = 680;
  const row = 24;
  const m = { l: 260, r: 110, t: 34, b: 40 };
  const H = m.t + m.b + row * bars.length;
  const pw = W - m.l - m.r;
  const max = linearCeil(Math.max(...bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)), 1e-9));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" ${FONT} font-size="11">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="12" y="18" font-size="13" font-weight="600" fill="${INK}">${esc(title)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const gx = m.l + (k / 4) * pw;
    out.push(
      `<line x1="${gx.toFixed(1)}" x2="${gx.toFixed(1)}" y1="${m.t - 4}" y2="${H - m.b}" stroke="${GRID}"/>`,
    );
    out.push(
      `<text x="${gx.toFixed(1)}" y="${H - m.b + 14}" text-anchor="middle" fill="${MUTED}">${fmt((max * k) / 4)}</text>`,
    );
  }
  out.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle" fill="${MUTED}">${esc(unit)}</text>`);
  bars.forEach((b, i) => {
    const yy = m.t + i * row;
    const w = Number.isFinite(b.value) ? (b.value / max) * pw : 0;
    out.push(`<text x="${m.l - 8}" y="${yy + 15}" text-anchor="end" fill="${INK}">${esc(b.label)}</text>`);
    out.push(
      `<rect x="${m.l}" y="${yy + 4}" width="${Math.max(0, w).toFixed(1)}" height="${row - 8}" rx="2" fill="#0b63ce"/>`,
    );
    out.push(
      `<text x="${(m.l + w + 6).toFixed(1)}" y="${yy + 15}" fill="${MUTED}">${esc(b.text ?? (Number.isFinite(b.value) ? fmt(b.value) : 'n/a'))}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
