/**
 * One shipment (`GET /api/v1/shipments/:id`, read as the API sends it): state and summary (MKT,
 * time out of range, excursions, alarms), the map with the planned and the actual route, the
 * temperature chart over the trip with the profile's band and every excursion shaded, the alarms,
 * the chain of custody, report downloads, and quality's signed decision (shipment-decision.ts).
 */
import { api, describeError } from '../api.ts';
import type { Page } from '../context.ts';
import { h, replace } from '../dom.ts';
import { absTime, ms } from '../format.ts';
import { etaFromProgress } from '../route-eta.ts';
import { rangeOf, tripWindow } from '../shipment-view.ts';
import type { Series, ShipmentDetailView } from '../types.ts';
import { card, emptyState, errorBox, loading, toast } from '../ui/components.ts';
import { createRouteMap, type RouteMap, type TrackPoint } from '../ui/route-map.ts';
import { createShipmentChart, type ShipmentChart } from '../ui/shipment-chart.ts';
import { decisionCard } from './shipment-decision.ts';
import { shipmentHead } from './shipment-head.ts';
import { alarmList, custodyTimeline } from './shipment-record.ts';
import { excursionList, shipmentFacts, summaryTiles } from './shipment-summary.ts';
import './shipments.css';

const MAX_POINTS = 1500;
const POLL_MS = 30_000;

export const shipmentPage: Page = (root, ctx, params) => {
  const id = params.id ?? '';
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let chart: ShipmentChart | null = null;
  let map: RouteMap | null = null;
  let detail: ShipmentDetailView | null = null;
  /** Key of the last drawn chart/map inputs, so a poll only redraws what changed. */
  let drawnKey = '';

  const head = h('div');
  const tiles = h('div', { class: 'tiles', testid: 'shipment-summary' });
  const mapHost = h('div');
  const facts = h('div');
  const chartHost = h('div');
  const excursionHost = h('div');
  const alarmHost = h('div');
  const custodyHost = h('div');
  const decisionHost = h('div');
  const breadcrumb = () =>
    h(
      'nav',
      { class: 'breadcrumb', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/shipments' }, 'Shipments'),
      h('span', { 'aria-hidden': 'true' }, ' / '),
      h('span', null, id),
    );

  replace(root, breadcrumb(), head, loading('Loading shipment…'));

  function layout(): void {
    replace(
      root,
      breadcrumb(),
      head,
      tiles,
      h(
        'div',
        { class: 'shipment-grid' },
        card('Route', mapHost, { class: 'card-map', testid: 'shipment-route' }),
        card('Shipment', facts, { testid: 'shipment-facts' }),
      ),
      card('Temperature during the trip', [chartHost, excursionHost], {
        class: 'card-charts',
        testid: 'shipment-temperature',
      }),
      h(
        'div',
        { class: 'shipment-grid' },
        card('Alarms', alarmHost, { testid: 'shipment-alarms' }),
        card('Chain of custody', custodyHost, { testid: 'shipment-custody' }),
      ),
      decisionHost,
    );
  }

  async function seriesFor(
    d: ShipmentDetailView,
  ): Promise<{ series: Series; from: number; to: number } | null> {
    const w = tripWindow(d);
    if (!w) return null;
    const series = await api<Series>(
      `/devices/${encodeURIComponent(d.shipment.deviceId)}/readings?from=${new Date(w.from).toISOString()}&to=${new Date(w.to + 1).toISOString()}&maxPoints=${MAX_POINTS}`,
    );
    return { series, from: w.from, to: w.to };
  }

  async function load(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    let d: ShipmentDetailView;
    try {
      d = await api<ShipmentDetailView>(`/shipments/${encodeURIComponent(id)}`);
    } catch (err) {
      if (stopped) return;
      if (!detail)
        replace(
          root,
          h('nav', { class: 'breadcrumb' }, h('a', { href: '#/shipments' }, 'Shipments')),
          errorBox(describeError(err)),
        );
      else toast(describeError(err), 'bad');
      return;
    }
    if (stopped) return;
    const first = !detail;
    detail = d;
    if (first) layout();
    const s = d.shipment;
    replace(head, shipmentHead(d, ctx));
    replace(tiles, ...summaryTiles(d));
    replace(facts, ...shipmentFacts(d));
    replace(excursionHost, ...excursionList(d));
    replace(alarmHost, ...alarmList(d.alarms));
    replace(
      custodyHost,
      ...custodyTimeline(
        d.custody,
        d.shipment.batches.map((b) => b.lot),
      ),
    );
    replace(
      decisionHost,
      decisionCard(s, ctx, () => void load()),
    );

    let data: { series: Series; from: number; to: number } | null = null;
    let seriesError: unknown = null;
    try {
      data = await seriesFor(d);
    } catch (err) {
      seriesError = err;
    }
    if (stopped) return;
    // While in transit: when it arrives at its present pace (route-eta.ts).
    const fixes = (data?.series.points ?? []).filter(
      (p) => typeof p.values.lat === 'number' && typeof p.values.lon === 'number',
    );
    const lastFix = fixes[fixes.length - 1];
    if (s.state === 'in_transit' && s.dispatch && s.plannedRoute && lastFix) {
      const eta = etaFromProgress(
        s.plannedRoute,
        { lat: lastFix.values.lat as number, lon: lastFix.values.lon as number, ts: ms(lastFix.ts) },
        ms(s.dispatch.at),
      );
      if (eta !== null) replace(tiles, ...summaryTiles(d, eta));
    }
    const key = JSON.stringify([
      s.state,
      s.dispatch?.at,
      s.delivery?.at,
      data?.series.points.length,
      data?.series.points[data.series.points.length - 1]?.ts,
      d.summary.excursions.map((e) => [e.start, e.end]),
    ]);
    if (key !== drawnKey) {
      drawnKey = key;
      drawChart(d, data, seriesError);
      drawMap(d, data);
    }
    if (!stopped && (s.state === 'in_transit' || s.state === 'planned'))
      timer = setTimeout(() => void load(), POLL_MS);
  }

  function drawChart(
    d: ShipmentDetailView,
    data: { series: Series; from: number; to: number } | null,
    seriesError: unknown,
  ): void {
    chart?.destroy();
    chart = null;
    const hasTemp = data?.series.points.some((p) => typeof p.values.temp_c === 'number') ?? false;
    if (seriesError) return void replace(chartHost, errorBox(describeError(seriesError)));
    if (!data)
      return void replace(
        chartHost,
        emptyState('Not dispatched yet.', 'The chart starts at the logger’s dispatch event.'),
      );
    if (!hasTemp)
      return void replace(chartHost, emptyState('No temperature readings in the trip window yet.'));
    const marks = [{ at: data.from, label: 'Dispatch' }];
    if (d.shipment.delivery) marks.push({ at: ms(d.shipment.delivery.at), label: 'Delivery' });
    chart = createShipmentChart({
      series: data.series,
      from: data.from,
      to: data.to,
      range: rangeOf(d.shipment, d),
      excursions: d.summary.excursions,
      marks,
    });
    replace(
      chartHost,
      chart.el,
      h(
        'p',
        { class: 'chart-note muted small' },
        `${data.series.points.length} points from ${absTime(data.from)} to ${absTime(data.to)}${data.series.downsampled ? ' (downsampled: mean per bucket)' : ''}.`,
      ),
    );
  }

  function drawMap(d: ShipmentDetailView, data: { series: Series } | null): void {
    map?.destroy();
    map = null;
    const s = d.shipment;
    const range = rangeOf(s, d);
    const track: TrackPoint[] = [];
    for (const p of data?.series.points ?? []) {
      const { lat, lon, temp_c: t } = p.values;
      if (typeof lat !== 'number' || typeof lon !== 'number') continue;
      const hi = p.max?.temp_c ?? t;
      const lo = p.min?.temp_c ?? t;
      const out =
        range !== null &&
        ((typeof hi === 'number' && hi > range.upperC) || (typeof lo === 'number' && lo < range.lowerC));
      track.push({ ts: ms(p.ts), lat, lon, out });
    }
    const last = track[track.length - 1];
    const dl = s.delivery;
    const current =
      dl && dl.lat !== null && dl.lon !== null
        ? { lat: dl.lat, lon: dl.lon, label: `Delivered ${absTime(dl.at)}` }
        : last
          ? { lat: last.lat, lon: last.lon, label: `Last fix ${absTime(last.ts)}` }
          : null;
    const planned = s.plannedRoute ?? [];
    if (!planned.length && !track.length && s.origin.lat === undefined && s.destination.lat === undefined) {
      replace(mapHost, emptyState('No route to show yet.', 'The planned route and GPS fixes appear here.'));
      return;
    }
    map = createRouteMap({ planned, actual: track, origin: s.origin, destination: s.destination, current });
    replace(mapHost, map.el);
  }

  void load();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    chart?.destroy();
    map?.destroy();
  };
};
