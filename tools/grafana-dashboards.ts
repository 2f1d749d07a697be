/**
 * The two Grafana dashboards of deploy/grafana/dashboards, written as objects typed with the
 * dashboard schema of `@grafana/schema` (Grafana's own package), so `npm run typecheck` checks
 * them against it. `node tools/grafana-dashboards.ts` writes the JSON files;
 * test/grafana-provisioning.test.ts checks that the files are exactly these objects.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Dashboard,
  DashboardCursorSync,
  type DataSourceRef,
  type Panel,
  type ThresholdsConfig,
  ThresholdsMode,
  type VariableModel,
  VariableRefresh,
  VariableSort,
} from '@grafana/schema';

export const INFLUX: DataSourceRef = { type: 'influxdb', uid: 'vigil-influxdb' };
export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: 'vigil-prometheus' };

type Grid = { x: number; y: number; w: number; h: number };

/** Absolute thresholds: each step's colour from its value on (the first step's value is null). */
function absolute(...steps: [color: string, value: number | null][]): ThresholdsConfig {
  return { mode: ThresholdsMode.Absolute, steps: steps.map(([color, value]) => ({ color, value })) };
}

/** The refrigerated profile of docs/alarms.md: +2 to +8 °C; at or below −0.5 °C is freezing. */
const COLD_CHAIN_BANDS: ThresholdsConfig = absolute(['blue', null], ['green', 2], ['red', 8]);

function timeseries(
  id: number,
  title: string,
  gridPos: Grid,
  ds: DataSourceRef,
  targets: Panel['targets'],
  unit: string,
  extra: Partial<Panel> = {},
): Panel {
  return {
    id,
    type: 'timeseries',
    title,
    gridPos,
    datasource: ds,
    targets,
    fieldConfig: { defaults: { unit }, overrides: [] },
    options: {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi', sort: 'none' },
    },
    ...extra,
  };
}

function stat(
  id: number,
  title: string,
  gridPos: Grid,
  expr: string,
  unit: string,
  legend: string,
  thresholds: ThresholdsConfig,
): Panel {
  return {
    id,
    type: 'stat',
    title,
    gridPos,
    datasource: PROMETHEUS,
    targets: [{ refId: 'A', datasource: PROMETHEUS, expr, legendFormat: legend, instant: true }],
    fieldConfig: { defaults: { unit, thresholds }, overrides: [] },
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'background',
      graphMode: 'none',
      textMode: 'value_and_name',
    },
  };
}

/** A time series of Prometheus queries, each `[expr, legend]` (refIds A, B, … in order). */
function promTimeseries(
  id: number,
  title: string,
  gridPos: Grid,
  queries: [expr: string, legend: string][],
  unit: string,
): Panel {
  const targets = queries.map(([expr, legendFormat], i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: PROMETHEUS,
    expr,
    legendFormat,
  }));
  return timeseries(id, title, gridPos, PROMETHEUS, targets, unit);
}

/** An InfluxQL query of one field over the selected devices. */
function influxField(refId: string, field: string): Record<string, unknown> {
  return {
    refId,
    datasource: INFLUX,
    rawQuery: true,
    resultFormat: 'time_series',
    alias: '$tag_device',
    query: `SELECT mean("${field}") FROM "readings" WHERE "device" =~ /^$device$/ AND $timeFilter GROUP BY time($__interval), "device" fill(null)`,
  };
}

const deviceVariable: VariableModel = {
  type: 'query',
  name: 'device',
  label: 'Device',
  datasource: INFLUX,
  query: 'SHOW TAG VALUES FROM "readings" WITH KEY = "device"',
  refresh: VariableRefresh.onDashboardLoad,
  multi: true,
  includeAll: true,
  current: { text: 'All', value: '$__all' },
  sort: VariableSort.alphabeticalAsc,
};

export const fleetTemperatures: Dashboard = {
  uid: 'vigil-fleet-temperatures',
  title: 'Vigil: fleet temperatures',
  description: 'Readings from the Vigil InfluxDB sink, with the refrigerated profile band (+2 to +8 °C).',
  tags: ['vigil', 'cold-chain'],
  schemaVersion: 39,
  version: 1,
  editable: false,
  graphTooltip: DashboardCursorSync.Crosshair,
  time: { from: 'now-24h', to: 'now' },
  refresh: '1m',
  timezone: 'utc',
  templating: { list: [deviceVariable] },
  panels: [
    timeseries(
      1,
      'Temperature (°C) with the +2 to +8 °C band',
      { x: 0, y: 0, w: 24, h: 10 },
      INFLUX,
      [influxField('A', 'temp_c')],
      'celsius',
      {
        fieldConfig: {
          defaults: {
            unit: 'celsius',
            thresholds: COLD_CHAIN_BANDS,
            custom: { thresholdsStyle: { mode: 'line+area' }, spanNulls: false },
          },
          overrides: [],
        },
      },
    ),
    timeseries(
      2,
      'Relative humidity (%)',
      { x: 0, y: 10, w: 12, h: 8 },
      INFLUX,
      [influxField('A', 'rh_pct')],
      'percent',
    ),
    timeseries(
      3,
      'Battery (%)',
      { x: 12, y: 10, w: 12, h: 8 },
      INFLUX,
      [influxField('A', 'bat_pct')],
      'percent',
    ),
    {
      id: 4,
      type: 'table',
      title: 'Latest temperature per device',
      gridPos: { x: 0, y: 18, w: 24, h: 8 },
      datasource: INFLUX,
      targets: [
        {
          refId: 'A',
          datasource: INFLUX,
          rawQuery: true,
          resultFormat: 'table',
          query:
            'SELECT last("temp_c") AS "temp_c", last("power") AS "power" FROM "readings" WHERE "device" =~ /^$device$/ AND $timeFilter GROUP BY "device"',
        },
      ],
      fieldConfig: {
        defaults: { unit: 'celsius', thresholds: COLD_CHAIN_BANDS },
        overrides: [],
      },
      options: { showHeader: true },
    },
  ],
};

export const vigilOperations: Dashboard = {
  uid: 'vigil-operations',
  title: 'Vigil: operations',
  description:
    "Vigil's own /metrics through Prometheus: ingest, rejections, store latency, certificates, sinks, backups, disk.",
  tags: ['vigil', 'operations'],
  schemaVersion: 39,
  version: 1,
  editable: false,
  graphTooltip: DashboardCursorSync.Crosshair,
  time: { from: 'now-6h', to: 'now' },
  refresh: '30s',
  timezone: 'utc',
  templating: { list: [] },
  panels: [
    stat(
      1,
      'Scrape up',
      { x: 0, y: 0, w: 4, h: 4 },
      'up{job="vigil"}',
      'none',
      '{{instance}}',
      absolute(['red', null], ['green', 1]),
    ),
    stat(
      2,
      'Connected devices',
      { x: 4, y: 0, w: 4, h: 4 },
      'vigil_connected_devices{job="vigil"}',
      'none',
      '{{instance}}',
      absolute(['blue', null]),
    ),
    stat(
      3,
      'Certificate days left',
      { x: 8, y: 0, w: 8, h: 4 },
      'vigil_certificate_days_left{job="vigil"}',
      'd',
      '{{cert}}',
      absolute(['red', null], ['orange', 7], ['green', 30]),
    ),
    stat(
      4,
      'Newest backup age',
      { x: 16, y: 0, w: 4, h: 4 },
      'vigil_backup_age_seconds{job="vigil"}',
      's',
      '{{instance}}',
      absolute(['green', null], ['red', 7200]),
    ),
    stat(
      5,
      'Days until disk full',
      { x: 20, y: 0, w: 4, h: 4 },
      'vigil_disk_forecast_days{job="vigil"}',
      'd',
      '{{instance}}',
      absolute(['red', null], ['green', 14]),
    ),
    promTimeseries(
      6,
      'Ingest (messages and readings per second)',
      { x: 0, y: 4, w: 12, h: 8 },
      [
        ['sum by (instance) (rate(vigil_ingest_accepted_total{job="vigil"}[5m]))', 'accepted {{instance}}'],
        ['sum by (instance) (rate(vigil_ingest_readings_total{job="vigil"}[5m]))', 'readings {{instance}}'],
      ],
      'reqps',
    ),
    promTimeseries(
      7,
      'Rejections per second by reason',
      { x: 12, y: 4, w: 12, h: 8 },
      [['sum by (reason) (rate(vigil_rejections_total{job="vigil"}[5m]))', '{{reason}}']],
      'reqps',
    ),
    promTimeseries(
      8,
      'Store commit latency (p50, p99)',
      { x: 0, y: 12, w: 12, h: 8 },
      [
        [
          'histogram_quantile(0.5, sum by (le) (rate(vigil_store_commit_seconds_bucket{job="vigil"}[5m])))',
          'p50',
        ],
        [
          'histogram_quantile(0.99, sum by (le) (rate(vigil_store_commit_seconds_bucket{job="vigil"}[5m])))',
          'p99',
        ],
      ],
      's',
    ),
    promTimeseries(
      9,
      'Sink outbox (readings waiting)',
      { x: 12, y: 12, w: 12, h: 8 },
      [
        ['vigil_sink_outbox_pending{job="vigil"}', '{{sink}}'],
        ['vigil_sink_failing_seconds{job="vigil"} > 0', '{{sink}} failing (s)'],
      ],
      'short',
    ),
  ],
};

/** File name (in deploy/grafana/dashboards) → dashboard. */
export const DASHBOARDS: Record<string, Dashboard> = {
  'fleet-temperatures.json': fleetTemperatures,
  'vigil-operations.json': vigilOperations,
};

export const DASHBOARD_DIR = join(import.meta.dirname, '..', 'deploy', 'grafana', 'dashboards');

/** The file's text: two-space JSON, as Grafana exports it, with a final newline. */
export function dashboardJson(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}

if (import.meta.main) {
  for (const [file, d] of Object.entries(DASHBOARDS))
    writeFileSync(join(DASHBOARD_DIR, file), dashboardJson(d));
}
