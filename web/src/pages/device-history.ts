/**
 * The device page's history card: charts over a chosen range with the profile's limits, gaps and
 * backfill. Presets (1 h to 30 d) or a custom from–to; drag across a chart to zoom in (the range
 * is read again from the server, so detail is not lost to downsampling), "Reset" goes back; the
 * time zone of the axes is named; "CSV" exports the readings of the range shown.
 */
import { api, describeError } from '../api.ts';
import { download, h, replace } from '../dom.ts';
import { absTime, ms } from '../format.ts';
import { limitOf, PROFILES } from '../profiles.ts';
import { browserZone, currentZone, setZone, zoned, zones } from '../timezone.ts';
import type { Device, Reading, Series } from '../types.ts';
import { createTimeChart, type TimeChart } from '../ui/chart.ts';
import { card, emptyState, errorBox, segmented } from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { createNews2Chart } from './news2-panel.ts';

export type RangeKey = '1h' | '24h' | '7d' | '30d';
export const RANGES: Record<RangeKey, { label: string; ms: number }> = {
  '1h': { label: '1 h', ms: 3_600_000 },
  '24h': { label: '24 h', ms: 86_400_000 },
  '7d': { label: '7 d', ms: 7 * 86_400_000 },
  '30d': { label: '30 d', ms: 30 * 86_400_000 },
};
/** Ranges short enough that live points are appended to the charts. */
const LIVE_RANGES = new Set<RangeKey>(['1h', '24h']);

/** `2026-12-06T19:34` for a datetime-local input, in the user's time zone. */
function localInput(ms: number): string {
  const d = zoned(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.year}-${p(d.month)}-${p(d.day)}T${p(d.hour)}:${p(d.minute)}`;
}

/** The instant a datetime-local value names in the user's time zone (NaN when empty or invalid). */
function fromLocalInput(v: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)$/.exec(v);
  if (!m) return Number.NaN;
  const asUtc = Date.UTC(+(m[1] ?? 0), +(m[2] ?? 1) - 1, +(m[3] ?? 1), +(m[4] ?? 0), +(m[5] ?? 0));
  // The zone's offset at that time, found from the calendar fields of the guess (twice, for DST edges).
  let t = asUtc;
  for (let i = 0; i < 2; i++) {
    const z = zoned(t);
    t = asUtc - (Date.UTC(z.year, z.month - 1, z.day, z.hour, z.minute, z.second) - t);
  }
  return t;
}

/** The readings of a series as CSV (RFC 4180): ISO time, backfill, then one column per field. */
export function seriesCsv(series: Series, from: number, to: number): string {
  const points = series.points.filter((p) => ms(p.ts) >= from && ms(p.ts) <= to);
  const fields = [...new Set(points.flatMap((p) => Object.keys(p.values)))].sort();
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = points.map((p) =>
    [p.ts, p.backfill ? 'true' : 'false', ...fields.map((f) => cell(p.values[f]))].join(','),
  );
  return `${['ts', 'backfill', ...fields].join(',')}\r\n${rows.map((r) => `${r}\r\n`).join('')}`;
}

export interface DeviceHistory {
  el: HTMLElement;
  load(): Promise<void>;
  /** A live reading: appended while a live preset range is shown. */
  append(r: Reading): void;
  destroy(): void;
}

export function createDeviceHistory(
  id: string,
  device: () => Device | null,
  initial: RangeKey,
  stopped: () => boolean,
): DeviceHistory {
  let range: RangeKey = initial;
  /** A custom or zoomed window; null: the preset ending now. */
  let view: { from: number; to: number } | null = null;
  let charts: TimeChart[] = [];
  let loadSeq = 0;
  let shown: { series: Series; from: number; to: number } | null = null;
  const chartsHost = h('div', { class: 'charts' });
  const chartNote = h('p', { class: 'chart-note muted small' });
  const rangeNote = h('span', { class: 'muted small', testid: 'range-note' });
  // The user's time zone for every time on the dashboard (kept per user in this browser).
  const zoneSelect = h(
    'select',
    { testid: 'zone-select', 'aria-label': 'Time zone' },
    zones().map((z) => h('option', { value: z }, z === browserZone() ? `${z} (this browser)` : z)),
  );
  zoneSelect.value = currentZone();
  zoneSelect.addEventListener('change', () => {
    setZone(zoneSelect.value);
    // Every time on the page is drawn again in the new zone.
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  });
  const fromIn = h('input', { type: 'datetime-local', testid: 'range-from', 'aria-label': 'From' });
  const toIn = h('input', { type: 'datetime-local', testid: 'range-to', 'aria-label': 'To' });
  const reset = h(
    'button',
    { type: 'button', class: 'btn btn-small hidden', testid: 'range-reset', onclick: () => setView(null) },
    'Reset',
  );
  const custom = h(
    'form',
    { class: 'range-custom', testid: 'range-custom' },
    fromIn,
    h('span', { 'aria-hidden': 'true' }, '–'),
    toIn,
    h('button', { type: 'submit', class: 'btn btn-small' }, 'Show'),
    reset,
  );
  custom.addEventListener('submit', (e) => {
    e.preventDefault();
    const from = fromLocalInput(fromIn.value);
    const to = fromLocalInput(toIn.value);
    if (Number.isFinite(from) && Number.isFinite(to) && from < to) setView({ from, to });
    else rangeNote.textContent = 'Choose a start before the end.';
  });
  const rangeCtl = segmented<RangeKey>(
    'Time range',
    (Object.keys(RANGES) as RangeKey[]).map((k) => ({
      value: k,
      label: RANGES[k].label,
      testid: `range-${k}`,
    })),
    range,
    (v) => {
      range = v;
      setView(null);
    },
  );
  const csv = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small',
      testid: 'range-csv',
      title: 'The readings of the range shown, as CSV',
      onclick: () => {
        if (shown)
          download(
            `${id}-${new Date(shown.from).toISOString()}.csv`,
            seriesCsv(shown.series, shown.from, shown.to),
            'text/csv',
          );
      },
    },
    icon('download'),
    'CSV',
  );
  const el = card(
    'History',
    [
      h(
        'div',
        { class: 'toolbar wrap' },
        custom,
        h('label', { class: 'muted small range-zone', testid: 'range-zone' }, 'Times in ', zoneSelect),
      ),
      chartsHost,
      chartNote,
    ],
    { actions: [rangeNote, rangeCtl, csv], class: 'card-charts' },
  );

  function setView(v: { from: number; to: number } | null): void {
    view = v;
    reset.classList.toggle('hidden', v === null);
    void load();
  }

  function span(): { from: number; to: number } {
    if (view) return view;
    const to = Date.now();
    return { from: to - RANGES[range].ms, to };
  }

  function buildCharts(d: Device, spanMs: number): void {
    for (const c of charts) c.destroy();
    const onZoom = (from: number, to: number) => {
      if (to - from >= 60_000) setView({ from, to });
    };
    charts = PROFILES[d.profile].charts
      .filter(
        (spec) =>
          d.profile === 'patient-vitals' ||
          spec.field === 'temp_c' ||
          d.latest?.data[spec.field] !== undefined,
      )
      .map((spec) =>
        createTimeChart({
          title: spec.title,
          field: spec.field,
          colour: spec.colour,
          limit: limitOf(d, spec.field),
          band: spec.band,
          // Vital signs' limits are the ranges that score 0 in NEWS2 (profiles.ts).
          ...(d.profile === 'patient-vitals' ? { limitLabel: 'NEWS2 0 when' } : {}),
          rangeMs: spanMs,
          height: d.profile === 'patient-vitals' ? 170 : 240,
          onZoom,
        }),
      );
    if (d.profile === 'patient-vitals') charts.unshift(createNews2Chart({ rangeMs: spanMs }));
    replace(
      chartsHost,
      charts.length ? charts.map((c) => c.el) : emptyState('Nothing to chart for this profile.'),
    );
    chartsHost.classList.toggle('charts-grid', d.profile === 'patient-vitals');
  }

  async function load(): Promise<void> {
    const d = device();
    if (!d) return;
    const mine = ++loadSeq;
    const { from, to } = span();
    buildCharts(d, to - from);
    fromIn.value = localInput(from);
    toIn.value = localInput(to);
    rangeNote.textContent = 'Loading…';
    const maxPoints = Math.min(1500, Math.max(300, Math.round(chartsHost.clientWidth || 1000)));
    try {
      const series = await api<Series>(
        `/devices/${encodeURIComponent(id)}/readings?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&maxPoints=${maxPoints}`,
      );
      if (mine !== loadSeq || stopped()) return;
      // Nothing in the preset ending now but older data (a device silent for days): fit the range
      // to the data, ending at its latest reading, rather than show an empty chart.
      const last = d.latest ? ms(d.latest.ts) : undefined;
      if (!view && series.points.length === 0 && last !== undefined && last < from) {
        setView({ from: last - (to - from), to: last + 60_000 });
        return;
      }
      shown = { series, from, to };
      for (const c of charts) c.setSeries(series, from, to);
      const backfilled = series.points.filter((p) => p.backfill).length;
      rangeNote.textContent = `${view ? `${absTime(from)} – ${absTime(to)}: ` : ''}${series.points.length} points${series.downsampled ? ' (downsampled: mean with min–max spread)' : ''}`;
      chartNote.replaceChildren(
        h('span', { class: 'legend-item' }, h('span', { class: 'swatch swatch-band' }), 'Allowed range'),
        h('span', { class: 'legend-item' }, h('span', { class: 'swatch swatch-limit' }), 'Limit'),
        h(
          'span',
          { class: 'legend-item' },
          h('span', { class: 'swatch swatch-backfill' }),
          `Backfilled: sent late after buffering offline (${backfilled})`,
        ),
        h(
          'span',
          { class: 'legend-item' },
          h('span', { class: 'swatch swatch-gap' }),
          `Breaks in the line: no data (${series.gaps.length} gap${series.gaps.length === 1 ? '' : 's'})`,
        ),
        h('span', { class: 'legend-item muted' }, 'Drag across a chart to zoom in.'),
      );
    } catch (err) {
      if (mine !== loadSeq) return;
      rangeNote.textContent = '';
      replace(chartsHost, errorBox(describeError(err)));
    }
  }

  return {
    el,
    load,
    append(r) {
      if (view || !LIVE_RANGES.has(range)) return;
      for (const c of charts) c.append({ ts: r.ts, backfill: r.backfill, n: 1, values: r.data });
      if (shown) shown.series.points.push({ ts: r.ts, backfill: r.backfill, n: 1, values: r.data });
      if (shown) shown.to = Math.max(shown.to, ms(r.ts));
    },
    destroy() {
      for (const c of charts) c.destroy();
    },
  };
}
