/**
 * deploy/grafana, checked without a Grafana (none is packaged for these machines): the dashboards
 * are the objects of tools/grafana-dashboards.ts, typed with `@grafana/schema`; their structure is
 * sound (datasources provisioned, unique ids, a 24-column grid without overlaps, every panel with
 * queries); the Prometheus panels query metrics Vigil exposes (or the continuity metrics), and
 * the InfluxDB panels query the sink's measurement and fields.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Dashboard, Panel } from '@grafana/schema';
import { parse } from 'yaml';
import { DASHBOARD_DIR, DASHBOARDS, dashboardJson } from '../tools/grafana-dashboards.ts';

const GRAFANA = join(import.meta.dirname, '..', 'deploy', 'grafana');
/** Sample fields of the vaccine-transport profile (docs/protocol.md), as the sink writes them. */
const SINK_FIELDS = new Set(['temp_c', 'rh_pct', 'lat', 'lon', 'bat_pct', 'power', 'door', 'rssi_dbm']);

function provisionedDatasources(): Map<string, string> {
  const doc = parse(readFileSync(join(GRAFANA, 'provisioning', 'datasources', 'vigil.yaml'), 'utf8')) as {
    apiVersion: number;
    datasources: { uid: string; type: string; url: string; access: string }[];
  };
  assert.equal(doc.apiVersion, 1);
  return new Map(doc.datasources.map((d) => [d.uid, d.type]));
}

/** Every metric family /metrics declares: the `family('vigil_…'` calls of src/api. */
function exposedMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.test.ts'))
        for (const m of readFileSync(p, 'utf8').matchAll(/\.(?:family|labelled)\(\s*'(vigil_[a-z_]+)'/g))
          names.add(m[1] as string);
    }
  };
  walk(join(import.meta.dirname, '..', 'src', 'api'));
  return names;
}

function targetsOf(p: Panel): Record<string, unknown>[] {
  return p.targets ?? [];
}

describe('deploy/grafana', () => {
  it('the dashboard files are the schema-typed objects of tools/grafana-dashboards.ts', () => {
    for (const [file, d] of Object.entries(DASHBOARDS)) {
      assert.equal(
        readFileSync(join(DASHBOARD_DIR, file), 'utf8'),
        dashboardJson(d),
        `${file} is stale: run node tools/grafana-dashboards.ts`,
      );
    }
  });

  it('datasources are provisioned with the uids the dashboards use, InfluxDB over HTTPS with a CA', () => {
    const ds = provisionedDatasources();
    assert.equal(ds.get('vigil-influxdb'), 'influxdb');
    assert.equal(ds.get('vigil-prometheus'), 'prometheus');
    const text = readFileSync(join(GRAFANA, 'provisioning', 'datasources', 'vigil.yaml'), 'utf8');
    assert.match(text, /url: https:\/\/influxdb/);
    assert.match(text, /tlsCACert:/);
    assert.doesNotMatch(text, /password: (?!\$\{)/, 'no password in the file');
    const providers = parse(
      readFileSync(join(GRAFANA, 'provisioning', 'dashboards', 'vigil.yaml'), 'utf8'),
    ) as {
      apiVersion: number;
      providers: { type: string; options: { path: string } }[];
    };
    assert.equal(providers.apiVersion, 1);
    assert.equal(providers.providers[0]?.type, 'file');
  });

  for (const [file, json] of Object.entries(DASHBOARDS)) {
    it(`${file}: unique uid and panel ids, a 24-column grid without overlaps, queries on provisioned datasources`, () => {
      const d = JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) as Dashboard;
      assert.equal(d.uid, json.uid);
      assert.ok(d.title && d.schemaVersion >= 36);
      const ds = provisionedDatasources();
      const panels = (d.panels ?? []) as Panel[];
      assert.ok(panels.length >= 3);
      assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'panel ids are unique');
      const cells = new Set<string>();
      for (const p of panels) {
        const g = p.gridPos;
        assert.ok(g && g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0, `panel ${p.id} fits the grid`);
        for (let x = g.x; x < g.x + g.w; x++)
          for (let y = g.y; y < g.y + g.h; y++) {
            assert.ok(!cells.has(`${x},${y}`), `panel ${p.id} overlaps another at ${x},${y}`);
            cells.add(`${x},${y}`);
          }
        assert.ok(
          p.datasource?.uid && ds.get(p.datasource.uid) === p.datasource.type,
          `panel ${p.id} datasource`,
        );
        const targets = targetsOf(p);
        assert.ok(targets.length > 0, `panel ${p.id} has queries`);
        assert.equal(new Set(targets.map((t) => t.refId)).size, targets.length, 'refIds unique');
      }
    });
  }

  it('the operations dashboard queries metrics Vigil exposes', () => {
    const exposed = exposedMetrics();
    const panels = (DASHBOARDS['vigil-operations.json']?.panels ?? []) as Panel[];
    const used = panels.flatMap((p) =>
      targetsOf(p).flatMap((t) =>
        [...String(t.expr).matchAll(/\b(vigil_[a-z_]+)/g)].map((m) => m[1] as string),
      ),
    );
    assert.ok(used.length >= 10);
    for (const m of used) {
      const family = m.replace(/_bucket$/, '');
      assert.ok(exposed.has(family), `${m} is not in /metrics`);
    }
  });

  it('the fleet dashboard queries the sink measurement, its device tag and real fields, with the 2-8 °C band', () => {
    const d = DASHBOARDS['fleet-temperatures.json'] as Dashboard;
    const panels = (d.panels ?? []) as Panel[];
    for (const p of panels)
      for (const t of targetsOf(p)) {
        const q = String(t.query);
        assert.match(q, /FROM "readings"/);
        assert.match(q, /"device" =~ \/\^\$device\$\//);
        for (const m of q.matchAll(/(?:mean|last)\("([a-z_]+)"\)/g))
          assert.ok(SINK_FIELDS.has(m[1] as string), m[1]);
      }
    const temp = panels[0];
    const steps = temp?.fieldConfig?.defaults.thresholds?.steps.map((s) => s.value);
    assert.deepEqual(steps, [null, 2, 8]);
    const custom = temp?.fieldConfig?.defaults.custom as { thresholdsStyle?: { mode: string } } | undefined;
    assert.equal(custom?.thresholdsStyle?.mode, 'line+area');
  });
});
