/**
 * The state of Vigil itself (`GET /api/v1/system`, refreshed every 5 s and on `system` live
 * messages): broker listeners and connections, ingest throughput over time, rejections by reason,
 * storage, certificates, backup, and continuity (power and battery of every device, devices
 * offline and buffering, broker reachability, UPS, disk, backups). The cards are in
 * system-cards.ts, system-continuity.ts and system-power.ts, the history and its chart in
 * system-history.ts.
 */
import { api, describeError } from '../api.ts';
import type { Page } from '../context.ts';
import { h, replace } from '../dom.ts';
import type { SystemStatus } from '../types.ts';
import { errorBox, loading, pageHeader, timeAgo } from '../ui/components.ts';
import { lifecyclePanel } from './lifecycle-panel.ts';
import { seclabCard } from './seclab-card.ts';
import {
  brokerCard,
  brokerReachable,
  certsCard,
  ingestCard,
  rejectionsCard,
  summaryRow,
} from './system-cards.ts';
import { backupCard, continuityDevicesCard, continuityOverview } from './system-continuity.ts';
import { history, record, throughputChart } from './system-history.ts';
import { powerCard } from './system-power.ts';
import { sinksCard } from './system-sinks.ts';

const POLL_MS = 5_000;

export const systemPage: Page = (root, ctx) => {
  let status: SystemStatus | null = null;
  let error: unknown = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const body = h('div', { class: 'system-grid' });
  const updated = h('span', { class: 'muted small', testid: 'system-updated' });
  const chartHost = h('div', { class: 'chart-plot' });
  // Built once: it polls on its own while a run is in progress.
  const seclab = seclabCard(ctx);
  const chart = throughputChart(chartHost);
  // Keys and certificates of the fleet, claims: polls on its own (src/pages/lifecycle-panel.ts).
  const lifecycle = lifecyclePanel(ctx);

  replace(
    root,
    pageHeader('System', h('span', null, 'Broker, ingest, storage, certificates and continuity. ', updated)),
    body,
    lifecycle.el,
  );

  function render(): void {
    if (!status) {
      replace(body, error ? errorBox(describeError(error)) : loading('Loading system status…'));
      return;
    }
    const s = status;
    const devices = [...ctx.store.devices.values()];
    if (error) updated.textContent = `Update failed: ${describeError(error)}`;
    else updated.replaceChildren('Updated ', timeAgo(s.now), '.');
    replace(
      body,
      error ? h('div', { class: 'span-3' }, errorBox(describeError(error))) : null,
      summaryRow(s, devices),
      continuityOverview(s, devices),
      ingestCard(s, chartHost, (history.t.at(-1) ?? 0) - (history.t[0] ?? 0)),
      brokerCard(s),
      continuityDevicesCard(
        s,
        [...devices].sort((a, b) => a.id.localeCompare(b.id)),
        brokerReachable(s),
      ),
      certsCard(s),
      powerCard(s),
      rejectionsCard(s),
      backupCard(s),
      s.sinks.length ? sinksCard(s.sinks) : null,
      seclab.el,
    );
    chart.update();
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
    seclab.stop();
    chart.destroy();
    for (const u of unsubs) u();
  };
};
