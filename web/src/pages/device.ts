/**
 * One device: its state and latest values, charts over a chosen range with the profile's
 * limits, gaps and backfilled points, its open alarms, and (with `devices.control`) the
 * enable/disable control.
 */

import { highestLevel, outOfRange } from '../alarm-level.ts';
import { api, describeError } from '../api.ts';
import type { Page } from '../context.ts';
import { cx, h, replace } from '../dom.ts';
import { absDate, absTime, num } from '../format.ts';
import { normDevice, normSeries } from '../normalize.ts';
import { FIELDS, fmtField, fmtLimit, limitOf, limitState, PROFILES } from '../profiles.ts';
import type { ReadingEvent } from '../store.ts';
import type { Device, Reading } from '../types.ts';
import { createTimeChart, type TimeChart } from '../ui/chart.ts';
import {
  badge,
  batteryMeter,
  card,
  confirmDialog,
  deviceStatusBadge,
  emptyState,
  errorBox,
  loading,
  powerBadge,
  segmented,
  signalBars,
  timeAgo,
  toast,
} from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { levelBadge } from '../ui/level-badge.ts';
import { deviceControlPanel } from './device-control.ts';
import { deviceOutputsPanel } from './device-outputs.ts';
import { createNews2Chart } from './news2-panel.ts';
import { profileIcon } from './overview.ts';

type RangeKey = '1h' | '24h' | '7d' | '30d';
const RANGES: Record<RangeKey, { label: string; ms: number }> = {
  '1h': { label: '1 h', ms: 3_600_000 },
  '24h': { label: '24 h', ms: 86_400_000 },
  '7d': { label: '7 d', ms: 7 * 86_400_000 },
  '30d': { label: '30 d', ms: 30 * 86_400_000 },
};
/** Ranges short enough that live points are appended to the charts. */
const LIVE_RANGES = new Set<RangeKey>(['1h', '24h']);

export const devicePage: Page = (root, ctx, params) => {
  const id = params.id ?? '';
  let range: RangeKey = params.range && params.range in RANGES ? (params.range as RangeKey) : '24h';
  let device: Device | null = ctx.store.devices.get(id) ?? null;
  let charts: TimeChart[] = [];
  let loadSeq = 0;
  let stopped = false;

  const head = h('div', { class: 'device-head' });
  const current = h('div', { class: 'tiles', testid: 'current-values' });
  const alarmsHost = h('div');
  const chartsHost = h('div', { class: 'charts' });
  const chartNote = h('p', { class: 'chart-note muted small' });
  const rangeNote = h('span', { class: 'muted small', testid: 'range-note' });
  const controlPanel = deviceControlPanel(ctx, id);
  // Built once the profile is known (it names the outputs).
  const outputsHost = h('div');
  let outputsPanel: { el: HTMLElement; stop(): void } | undefined;
  const showOutputs = () => {
    if (outputsPanel || !device || stopped) return;
    outputsPanel = deviceOutputsPanel(ctx, id, device.profile);
    outputsHost.append(outputsPanel.el);
  };

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
      void loadSeries();
    },
  );

  replace(
    root,
    h(
      'nav',
      { class: 'breadcrumb', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/overview' }, 'Fleet'),
      h('span', { 'aria-hidden': 'true' }, ' / '),
      h('span', null, id),
    ),
    head,
    current,
    alarmsHost,
    outputsHost,
    card('History', [chartsHost, chartNote], { actions: [rangeNote, rangeCtl], class: 'card-charts' }),
    controlPanel.el,
  );

  function renderHead(): void {
    if (!device) {
      replace(head, h('h1', null, id));
      return;
    }
    const d = device;
    const controls: HTMLElement[] = [];
    if (ctx.can('devices.control')) {
      if (d.status === 'enabled') {
        controls.push(
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-danger-outline',
              testid: 'control-disable',
              onclick: () => void control('disable'),
            },
            icon('power'),
            'Disable device',
          ),
        );
      } else if (d.status === 'disabled') {
        controls.push(
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-primary',
              testid: 'control-enable',
              onclick: () => void control('enable'),
            },
            icon('power'),
            'Enable device',
          ),
        );
      }
    }
    replace(
      head,
      h(
        'div',
        { class: 'page-header' },
        h(
          'div',
          { class: 'page-title' },
          h(
            'h1',
            { class: 'device-title' },
            profileIcon(d.profile),
            h('span', { testid: 'device-id' }, d.id),
          ),
          h(
            'p',
            { class: 'subtitle device-meta' },
            deviceStatusBadge(d),
            levelBadge(highestLevel(ctx.store.openAlarms().filter((a) => a.subject === d.id)), {
              outOfRange: outOfRange(d),
              alarm: d.alarm,
              testid: 'device-level',
            }),
            h('span', null, PROFILES[d.profile].label),
            h('span', null, 'Last seen ', timeAgo(d.lastSeenAt)),
            d.alg ? h('span', { title: 'Payload encryption' }, d.alg) : null,
            d.certNotAfter ? h('span', null, `Certificate until ${absDate(d.certNotAfter)}`) : null,
          ),
        ),
        controls.length ? h('div', { class: 'page-actions' }, controls) : null,
      ),
    );
  }

  function tile(
    label: string,
    value: HTMLElement | string,
    opts: { tone?: string; sub?: string | HTMLElement | null; testid?: string; big?: boolean } = {},
  ) {
    return h(
      'div',
      { class: cx('tile', opts.tone && `tile-${opts.tone}`) },
      h('div', { class: 'tile-label' }, label),
      h('div', { class: cx('tile-value', opts.big && 'tile-big'), testid: opts.testid }, value),
      opts.sub ? h('div', { class: 'tile-sub' }, opts.sub) : null,
    );
  }

  function measureTile(d: Device, field: string, r: Reading, testid?: string) {
    const v = r.data[field];
    const l = limitOf(d, field);
    const st = limitState(v, l);
    const tone = st === 'high' || st === 'low' ? 'bad' : st === 'ok' ? 'ok' : undefined;
    const sub =
      st === 'high'
        ? `Above limit (${fmtLimit(field, l)})`
        : st === 'low'
          ? `Below limit (${fmtLimit(field, l)})`
          : st === 'ok'
            ? `Within ${fmtLimit(field, l)}`
            : null;
    return tile(FIELDS[field]?.label ?? field, fmtField(field, v), { tone, sub, testid, big: true });
  }

  function renderCurrent(): void {
    const d = device;
    const r = d?.latest;
    if (!d || !r) {
      replace(current, d ? emptyState('No readings from this device yet.') : loading());
      return;
    }
    const data = r.data;
    const tiles: HTMLElement[] = [];
    if (d.profile === 'patient-vitals') {
      for (const f of ['hr_bpm', 'spo2_pct', 'rr_bpm', 'sbp_mmhg']) tiles.push(measureTile(d, f, r));
      tiles.push(measureTile(d, 'temp_c', r, 'latest-temp'));
      const c = data.consciousness;
      tiles.push(
        tile('Consciousness (ACVPU)', typeof c === 'string' ? c : '–', {
          tone: c === 'A' ? 'ok' : typeof c === 'string' ? 'bad' : undefined,
          sub: c === 'A' ? 'Alert' : typeof c === 'string' ? 'Not alert' : null,
        }),
      );
      tiles.push(
        tile('Supplemental oxygen', data.on_oxygen === true ? 'Yes' : data.on_oxygen === false ? 'No' : '–', {
          tone: data.on_oxygen ? 'warn' : undefined,
        }),
      );
    } else {
      tiles.push(measureTile(d, 'temp_c', r, 'latest-temp'));
      if (data.rh_pct !== undefined) tiles.push(measureTile(d, 'rh_pct', r));
      if (typeof data.lat === 'number' && typeof data.lon === 'number') {
        tiles.push(
          tile('Position', `${num(data.lat, 4)}, ${num(data.lon, 4)}`, {
            sub: h('a', { href: `#/map?focus=${encodeURIComponent(d.id)}` }, icon('pin'), 'Show on map'),
          }),
        );
      }
      if (typeof data.door === 'string')
        tiles.push(
          tile('Door', data.door === 'open' ? 'Open' : 'Closed', {
            tone: data.door === 'open' ? 'warn' : 'ok',
          }),
        );
    }
    if (data.power !== undefined) {
      tiles.push(
        tile('Power', powerBadge(data.power), {
          sub: data.power === 'mains' ? 'External supply' : data.power ? 'On stored energy' : null,
        }),
      );
    }
    tiles.push(tile('Battery', batteryMeter(data.bat_pct)));
    tiles.push(tile('Signal', signalBars(data.rssi_dbm)));
    const at = absTime(r.ts);
    const today = at.slice(0, 10) === absTime(Date.now()).slice(0, 10);
    tiles.push(
      tile('Reading time', h('span', { class: 'tile-time', title: at }, at.slice(11)), {
        sub: r.backfill ? badge('warn', 'Backfilled', 'clock') : today ? timeAgo(r.ts) : at.slice(0, 10),
      }),
    );
    replace(current, tiles);
  }

  async function renderAlarms(): Promise<void> {
    const open = ctx.store.openAlarms().filter((a) => a.subject === id);
    if (!open.length) {
      replace(alarmsHost);
      return;
    }
    const unacked = open.filter((a) => !a.ack).length;
    replace(
      alarmsHost,
      h(
        'div',
        {
          class: `alert ${unacked ? 'alert-bad' : 'alert-warn'} alarm-strip`,
          role: 'status',
          testid: 'device-alarms',
        },
        icon('alert'),
        h(
          'div',
          null,
          h(
            'strong',
            null,
            unacked
              ? `${open.length} open alarm${open.length > 1 ? 's' : ''}`
              : `${open.length} acknowledged alarm${open.length > 1 ? 's' : ''}, still open`,
          ),
          h(
            'ul',
            null,
            open.map((a) =>
              h(
                'li',
                null,
                `${a.message || a.rule} · since ${absTime(a.startedAt ?? a.raisedAt)}${a.ack ? ` · acknowledged by ${a.ack.by ?? 'someone'}` : ''}`,
              ),
            ),
          ),
        ),
        h('a', { class: 'btn btn-small', href: '#/alarms' }, 'View alarms'),
      ),
    );
  }

  async function control(action: 'enable' | 'disable'): Promise<void> {
    const ok = await confirmDialog(
      action === 'disable' ? `Disable ${id}?` : `Enable ${id}?`,
      action === 'disable'
        ? 'The device is disconnected and its messages are refused until it is enabled again. This action is audited.'
        : 'The device may connect and send data again. This action is audited.',
      action === 'disable' ? 'Disable' : 'Enable',
      action === 'disable',
      `control-${action}-dialog`,
    );
    if (!ok) return;
    try {
      const r = await api<unknown>(`/devices/${encodeURIComponent(id)}/${action}`, {
        method: 'POST',
        body: {},
      });
      const n = normDevice(r);
      if (n && device) {
        device.status = n.device.status;
        device.online = n.device.online;
      }
      toast(`${id} ${action === 'disable' ? 'disabled' : 'enabled'}.`, 'ok');
      renderHead();
    } catch (err) {
      toast(describeError(err), 'bad');
    }
  }

  function buildCharts(d: Device): void {
    for (const c of charts) c.destroy();
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
          rangeMs: RANGES[range].ms,
          height: d.profile === 'patient-vitals' ? 170 : 240,
        }),
      );
    if (d.profile === 'patient-vitals') charts.unshift(createNews2Chart({ rangeMs: RANGES[range].ms }));
    replace(
      chartsHost,
      charts.length ? charts.map((c) => c.el) : emptyState('Nothing to chart for this profile.'),
    );
    chartsHost.classList.toggle('charts-grid', d.profile === 'patient-vitals');
  }

  async function loadSeries(): Promise<void> {
    const d = device;
    if (!d) return;
    const mine = ++loadSeq;
    buildCharts(d);
    rangeNote.textContent = 'Loading…';
    const to = Date.now();
    const from = to - RANGES[range].ms;
    const maxPoints = Math.min(1500, Math.max(300, Math.round(chartsHost.clientWidth || 1000)));
    try {
      const raw = await api<unknown>(
        `/devices/${encodeURIComponent(id)}/readings?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&maxPoints=${maxPoints}`,
      );
      if (mine !== loadSeq || stopped) return;
      const series = normSeries(raw);
      for (const c of charts) c.setSeries(series, from, to);
      const backfilled = series.points.filter((p) => p.backfill).length;
      rangeNote.textContent = `${series.points.length} points${series.downsampled ? ' (downsampled: mean with min–max spread)' : ''}`;
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
      );
    } catch (err) {
      if (mine !== loadSeq) return;
      rangeNote.textContent = '';
      replace(chartsHost, errorBox(describeError(err)));
    }
  }

  async function loadDevice(): Promise<void> {
    try {
      const raw = await api<unknown>(`/devices/${encodeURIComponent(id)}`);
      const n = normDevice(raw);
      if (!n || stopped) return;
      const known = ctx.store.devices.get(id);
      // Keep the store's object so live updates keep flowing into this page.
      device = known
        ? Object.assign(known, {
            ...n.device,
            latest: pickNewer(known.latest, n.device.latest),
            alarm: known.alarm,
          })
        : n.device;
      showOutputs();
    } catch (err) {
      if (stopped) return;
      replace(
        root,
        h('nav', { class: 'breadcrumb' }, h('a', { href: '#/overview' }, 'Fleet')),
        errorBox(describeError(err)),
      );
      return;
    }
    renderHead();
    renderCurrent();
    void renderAlarms();
    await loadSeries();
  }

  const unsubs = [
    ctx.store.on('reading', (e) => {
      const { deviceId, reading } = e as ReadingEvent;
      if (deviceId !== id || !device) return;
      if (!device.latest || reading.ts >= device.latest.ts) device.latest = reading;
      renderCurrent();
      // The header's state follows the latest reading: never "OK" while it is out of range.
      renderHead();
      if (LIVE_RANGES.has(range)) {
        for (const c of charts)
          c.append({
            ts: reading.ts,
            backfill: reading.backfill,
            values: reading.data,
            min: null,
            max: null,
          });
      }
    }),
    ctx.store.on('devices', () => {
      const known = ctx.store.devices.get(id);
      if (known && device && known !== device)
        Object.assign(device, {
          status: known.status,
          online: known.online,
          lastSeenAt: known.lastSeenAt,
          alarm: known.alarm,
        });
      else if (known) device = known;
      renderHead();
    }),
    ctx.store.on('alarms', () => {
      renderHead();
      void renderAlarms();
    }),
  ];

  renderHead();
  renderCurrent();
  void loadDevice();

  return () => {
    stopped = true;
    controlPanel.stop();
    outputsPanel?.stop();
    for (const u of unsubs) u();
    for (const c of charts) c.destroy();
  };
};

function pickNewer(a: Reading | null, b: Reading | null): Reading | null {
  if (!a) return b;
  if (!b) return a;
  return b.ts >= a.ts ? b : a;
}
