/**
 * The state of Vigil itself (`GET /api/v1/system`, refreshed every 5 s and on `system` live
 * messages): broker listeners and connections, ingest throughput over time, rejections by reason,
 * storage, certificates, backup, and continuity (power and battery of every device, devices
 * offline and presumably buffering, broker reachability).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, describeError } from '../api.ts';
import type { Page } from '../context.ts';
import { h, replace } from '../dom.ts';
import { absDate, absTime, bytes, duration, humanize, int, rate } from '../format.ts';
import type { CertStatus, SystemStatus } from '../types.ts';
import { legendTime, TIME_AXIS } from '../ui/chart.ts';
import {
  badge,
  card,
  emptyState,
  errorBox,
  loading,
  pageHeader,
  statCard,
  type Tone,
  timeAgo,
} from '../ui/components.ts';
import { icon } from '../ui/icons.ts';
import { lifecyclePanel } from './lifecycle-panel.ts';
import { backupCard, continuityDevicesCard, continuityOverview } from './system-continuity.ts';
import { powerCard } from './system-power.ts';

const POLL_MS = 5_000;
const HISTORY_MAX = 720; // 1 h at 5 s

/** Throughput and rejection history, kept while the tab lives so revisiting the page keeps it. */
const history: {
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

function record(s: SystemStatus): void {
  const t = (s.now ?? Date.now()) / 1000;
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

/** `9 h ago`: the largest unit only, for headline figures. */
function shortAgo(ts: number): string {
  const s = Math.max(0, (Date.now() - ts) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
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

/** The server's continuity view first; else an embedded broker with connection counts is up. */
function brokerReachable(s: SystemStatus): boolean {
  return s.continuity?.brokerReachable ?? s.broker.reachable ?? s.broker.connections !== null;
}

function certTone(c: CertStatus): Tone {
  return c.daysLeft < 0 ? 'bad' : c.daysLeft < 14 ? 'bad' : c.daysLeft < 45 ? 'warn' : 'ok';
}

export const systemPage: Page = (root, ctx) => {
  let status: SystemStatus | null = null;
  let error: unknown = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  let chart: uPlot | null = null;
  let chartReasons: string[] = [];
  const body = h('div', { class: 'system-grid' });
  const updated = h('span', { class: 'muted small', testid: 'system-updated' });
  const chartHost = h('div', { class: 'chart-plot' });

  const lifecycle = lifecyclePanel(ctx);
  replace(
    root,
    pageHeader('System', h('span', null, 'Broker, ingest, storage, certificates and continuity. ', updated)),
    body,
    lifecycle.el,
  );

  function statBlock(label: string, value: string, sub?: string, testid?: string) {
    return h(
      'div',
      { class: 'mini-stat', testid },
      h('div', { class: 'mini-label' }, label),
      h('div', { class: 'mini-value' }, value),
      sub ? h('div', { class: 'mini-sub' }, sub) : null,
    );
  }

  /** The state of everything at a glance, above the detail cards. */
  function summaryRow(s: SystemStatus): HTMLElement {
    const reachable = brokerReachable(s);
    const certs = Object.entries(s.certificates ?? {}).sort((a, b) => a[1].daysLeft - b[1].daysLeft);
    const soonest = certs[0];
    const reasons = Object.entries(s.rejections.sinceStart ?? {}).sort((a, b) => b[1] - a[1]);
    const backupAt = s.backup?.newest ? Date.parse(s.backup.newest.createdAt) : null;
    const intervalMs = (s.backup?.intervalMinutes ?? 60) * 60_000;
    const backupTone: Tone =
      !backupAt || s.backup?.lastFailure ? 'bad' : Date.now() - backupAt > 2 * intervalMs ? 'warn' : 'ok';
    const devices = [...ctx.store.devices.values()];
    const enabled = devices.filter((d) => d.status === 'enabled');
    const offline = enabled.filter((d) => !d.online).length;
    return h(
      'div',
      { class: 'stats stats-6 span-3' },
      statCard(
        'Broker',
        reachable ? 'Reachable' : 'Unreachable',
        reachable ? 'ok' : 'bad',
        'signal',
        `${int(s.broker.connections?.devices)} devices connected`,
        'summary-broker',
      ),
      statCard(
        'Ingest',
        rate(s.ingest.throughput.acceptedPerSec),
        'ok',
        'bolt',
        `${int(s.ingest.accepted)} messages since start`,
      ),
      statCard(
        'Rejected',
        int(s.ingest.rejected),
        s.ingest.rejected ? 'warn' : 'ok',
        'alert',
        reasons[0] ? `most: ${reasons[0][0].replace('VIGIL_ERR_', '').toLowerCase()}` : 'none since start',
      ),
      statCard(
        'Storage',
        bytes(s.storage.totalBytes),
        'ok',
        'download',
        `${s.storage.files.length} database file(s)`,
      ),
      statCard(
        'Certificates',
        soonest ? `${soonest[1].daysLeft} d` : '–',
        soonest ? certTone(soonest[1]) : 'neutral',
        'shield',
        soonest ? `next expiry: ${soonest[0] === 'ca' ? 'device CA' : soonest[0]}` : 'none reported',
      ),
      statCard(
        'Last backup',
        backupAt ? shortAgo(backupAt) : 'None',
        backupTone,
        'clock',
        backupAt ? absTime(backupAt) : 'no backup recorded',
        'summary-backup',
      ),
      statCard(
        'Offline',
        `${offline} / ${enabled.length}`,
        offline ? 'warn' : 'ok',
        'power',
        offline ? 'buffering until reconnect' : 'all enabled devices online',
      ),
    );
  }

  function brokerCard(s: SystemStatus): HTMLElement {
    const b = s.broker;
    const reachable = brokerReachable(s);
    return card(
      [icon('signal'), ' Broker'],
      [
        h(
          'div',
          { class: 'row gap wrap' },
          reachable
            ? badge(
                'ok',
                b.mode === 'external' ? 'External broker reachable' : 'Embedded broker running',
                'check',
              )
            : badge('bad', 'Broker unreachable', 'alert'),
          badge('neutral', humanize(b.mode)),
          h(
            'span',
            { class: 'muted small', title: `since ${absTime(s.now - s.uptimeS * 1000)}` },
            `Vigil up ${duration(s.uptimeS)}`,
          ),
        ),
        h(
          'div',
          { class: 'mini-stats' },
          statBlock('TCP connections', int(b.connections?.tcp)),
          statBlock('MQTT sessions', int(b.connections?.sessions)),
          statBlock('Devices', int(b.connections?.devices)),
          statBlock('Services', int(b.connections?.services)),
        ),
        h('h3', { class: 'subhead' }, 'Listeners'),
        b.listeners.length
          ? h(
              'ul',
              { class: 'plain-list' },
              b.listeners.map((l) =>
                h(
                  'li',
                  null,
                  h('code', null, `${l.protocol}://${l.address ?? '?'}:${l.port ?? '?'}`),
                  ' ',
                  badge('ok', 'TLS + client certificates', 'shield'),
                ),
              ),
            )
          : h('p', { class: 'muted' }, 'No listener.'),
      ],
      { testid: 'system-broker' },
    );
  }

  function ingestCard(s: SystemStatus): HTMLElement {
    const i = s.ingest;
    const t = i.throughput;
    return card(
      [icon('bolt'), ' Ingest'],
      [
        h(
          'div',
          { class: 'mini-stats' },
          statBlock('Messages accepted', rate(t.acceptedPerSec), `${int(i.accepted)} since start`),
          statBlock('Readings stored', rate(t.readingsPerSec), `${int(i.readings)} since start`),
          statBlock('Rejected', rate(t.rejectedPerSec), `${int(i.rejected)} since start`),
          statBlock('Last commit', `${i.lastCommitMs.toFixed(1)} ms`, `${int(i.commits)} commits`),
        ),
        h(
          'h3',
          { class: 'subhead' },
          `Throughput and rejections (per second, last ${duration(Math.max(5, (history.t.at(-1) ?? 0) - (history.t[0] ?? 0)))})`,
        ),
        chartHost,
      ],
      { testid: 'system-ingest', class: 'span-2' },
    );
  }

  function rejectionsCard(s: SystemStatus): HTMLElement {
    const since = s.rejections.sinceStart ?? {};
    const all = s.rejections.persisted ?? {};
    const reasons = [...new Set([...Object.keys(since), ...Object.keys(all)])].sort(
      (a, b) => (all[b] ?? 0) - (all[a] ?? 0),
    );
    return card(
      [icon('alert'), ' Rejections by reason'],
      reasons.length
        ? h(
            'table',
            { class: 'table table-compact' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                h('th', null, 'Reason'),
                h('th', { class: 'num' }, 'Since start'),
                h('th', { class: 'num' }, 'All time'),
              ),
            ),
            h(
              'tbody',
              null,
              reasons.map((r) =>
                h(
                  'tr',
                  null,
                  h('td', null, h('code', null, r)),
                  h('td', { class: 'num' }, int(since[r] ?? 0)),
                  h('td', { class: 'num' }, int(all[r] ?? 0)),
                ),
              ),
            ),
          )
        : emptyState('No message rejected.', 'Forged, replayed or malformed messages would be counted here.'),
      { testid: 'system-rejections' },
    );
  }

  function certsCard(s: SystemStatus): HTMLElement {
    const entries = Object.entries(s.certificates ?? {});
    return card(
      [icon('shield'), ' Certificates'],
      entries.length
        ? h(
            'ul',
            { class: 'cert-list' },
            entries.map(([name, c]) =>
              h(
                'li',
                { class: 'cert' },
                h(
                  'div',
                  { class: 'row between' },
                  h(
                    'strong',
                    null,
                    name === 'ca' ? 'Device CA' : name === 'server' ? 'Server (HTTPS, MQTT)' : humanize(name),
                  ),
                  badge(
                    certTone(c),
                    c.daysLeft < 0 ? 'Expired' : `${c.daysLeft} days left`,
                    c.daysLeft < 45 ? 'clock' : 'check',
                  ),
                ),
                h(
                  'div',
                  { class: 'muted small' },
                  h('code', null, c.subject ?? '–'),
                  ` · expires ${absDate(c.notAfter)}`,
                ),
                h('div', { class: 'muted small' }, 'serial ', h('code', null, c.serial)),
              ),
            ),
          )
        : emptyState('No certificate reported.'),
      { testid: 'system-certs' },
    );
  }

  function ensureChart(): void {
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
        width: Math.max(280, chartHost.clientWidth || 600),
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
      chartHost,
    );
  }

  const ro = new ResizeObserver(() => {
    if (chart) chart.setSize({ width: Math.max(280, chartHost.clientWidth), height: 170 });
  });
  ro.observe(chartHost);

  function render(): void {
    if (!status) {
      replace(body, error ? errorBox(describeError(error)) : loading('Loading system status…'));
      return;
    }
    const s = status;
    if (error) updated.textContent = `Update failed: ${describeError(error)}`;
    else updated.replaceChildren('Updated ', timeAgo(s.now), '.');
    replace(
      body,
      error ? h('div', { class: 'span-3' }, errorBox(describeError(error))) : null,
      summaryRow(s),
      continuityOverview(s, [...ctx.store.devices.values()]),
      ingestCard(s),
      brokerCard(s),
      continuityDevicesCard(
        s,
        [...ctx.store.devices.values()].sort((a, b) => a.id.localeCompare(b.id)),
        brokerReachable(s),
      ),
      certsCard(s),
      powerCard(s),
      rejectionsCard(s),
      backupCard(s),
    );
    ensureChart();
  }

  async function poll(): Promise<void> {
    try {
      const s = await api<SystemStatus>('/system');
      if (stopped) return;
      status = s;
      error = null;
      record(s);
    } catch (err) {
      error = err;
    }
    if (stopped) return;
    render();
    timer = setTimeout(() => void poll(), POLL_MS);
  }

  const unsubs = [
    ctx.store.on('system', (d) => {
      const s = d as SystemStatus;
      if (!s || typeof s !== 'object' || !s.ingest) return;
      status = s;
      record(s);
      render();
    }),
  ];
  render();
  void poll();
  return () => {
    stopped = true;
    lifecycle.stop();
    if (timer) clearTimeout(timer);
    ro.disconnect();
    chart?.destroy();
    for (const u of unsubs) u();
  };
};
