/**
 * Prometheus and Vigil together: `promtool` checks and unit-tests deploy/prometheus/vigil-rules.yml,
 * and a real Prometheus (Debian's) runs deploy/prometheus/prometheus.example.yml (paths, target and
 * interval replaced) against a running Vigil: it scrapes /metrics over TLS against Vigil's CA with a
 * bearer token, loads the rules, and one series comes back through its HTTP API. A scrape without
 * the token is refused. Every metric the rules use is one Vigil exposes.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { promisify } from 'node:util';
import { apiRequest } from './helpers/api-client.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';
import { freePort } from './helpers/run-vigil.ts';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const DEPLOY = join(import.meta.dirname, '..', 'deploy', 'prometheus');
const run = promisify(execFile);

/** Metric names in PromQL expressions of the rules file (`vigil_*` and `up`). */
function ruleMetrics(yaml: string): Set<string> {
  const exprs = [...yaml.matchAll(/expr: \|?\n?([\s\S]*?)\n\s+(?:for|labels):/g)].map((m) => m[1] ?? '');
  return new Set(exprs.flatMap((e) => [...e.matchAll(/\b(vigil_[a-z_]+|up)\{/g)].map((m) => m[1] as string)));
}

if (!existsSync(PROMETHEUS) || !existsSync(PROMTOOL)) {
  test('Prometheus', (t) => t.skip('skipped: prometheus not installed (Debian package prometheus)'));
} else {
  describe('deploy/prometheus with promtool', () => {
    it('the rules file passes promtool check rules', async () => {
      const { stdout } = await run(PROMTOOL, ['check', 'rules', join(DEPLOY, 'vigil-rules.yml')]);
      assert.match(stdout, /SUCCESS: \d+ rules found/);
    });

    it('the alerts fire as their unit tests expect (promtool test rules)', async () => {
      const { stdout } = await run(PROMTOOL, ['test', 'rules', 'vigil-rules.test.yml'], { cwd: DEPLOY });
      assert.match(stdout, /SUCCESS/);
    });
  });

  describe('a real Prometheus scraping a running Vigil over TLS with a bearer token', () => {
    let vigil: Instance;
    let dir: string;
    let prom: ChildProcess | undefined;
    let promLog = '';
    let promUrl: string;

    before(async () => {
      vigil = await startInstance();
      dir = mkdtempSync(join(tmpdir(), 'vigil-prometheus-'));
      const { token } = await vigil.server.auth.tokens.create({
        label: 'prometheus',
        role: 'auditor',
        owner: 'admin',
        actor: 'test',
      });
      writeFileSync(join(dir, 'vigil-token'), token, { mode: 0o600 });
      writeFileSync(join(dir, 'vigil-ca.crt'), vigil.ctx.ca.certPem);
      const target = new URL(vigil.httpUrl).host;
      const example = readFileSync(join(DEPLOY, 'prometheus.example.yml'), 'utf8');
      let config = example
        .replaceAll('/etc/prometheus/vigil-rules.yml', join(DEPLOY, 'vigil-rules.yml'))
        .replaceAll('/etc/prometheus/', `${dir}/`)
        .replace('vigil.example.org:8443', target)
        .replace(/(scrape|evaluation)_interval: 30s/g, '$1_interval: 1s');
      // A second job without the token: Vigil must refuse it.
      config += `  - job_name: vigil-no-token
    scheme: https
    tls_config:
      ca_file: ${dir}/vigil-ca.crt
    static_configs:
      - targets: ['${target}']
`;
      writeFileSync(join(dir, 'prometheus.yml'), config);
      const port = await freePort();
      promUrl = `http://127.0.0.1:${port}`;
      prom = spawn(
        PROMETHEUS,
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'tsdb')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const keep = (d: Buffer) => {
        promLog = (promLog + d).slice(-20_000);
      };
      prom.stdout?.on('data', keep);
      prom.stderr?.on('data', keep);
    });
    after(async () => {
      if (prom && prom.exitCode === null) {
        const exited = new Promise((r) => prom?.once('exit', r));
        prom.kill('SIGTERM');
        const t = setTimeout(() => prom?.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      await vigil?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** An instant query through Prometheus's HTTP API. */
    async function query(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await res.json()) as { status: string; data: { result: never[] } };
      assert.equal(body.status, 'success');
      return body.data.result;
    }

    it('queries a Vigil series back through the Prometheus HTTP API', async () => {
      const series = await waitFor(
        'vigil_uptime_seconds in Prometheus',
        async () => {
          if (prom?.exitCode !== null) throw new Error(`prometheus exited:\n${promLog}`);
          const r = await query('vigil_uptime_seconds{job="vigil"}').catch(() => []);
          return r.length > 0 ? r : undefined;
        },
        60_000,
      );
      assert.equal(series[0]?.metric.instance, new URL(vigil.httpUrl).host);
      assert.ok(Number(series[0]?.value[1]) >= 0);
      const up = await query('up{job="vigil"}');
      assert.equal(up[0]?.value[1], '1');
    });

    it('gets nothing without the bearer token', async () => {
      const up = await waitFor(
        'the tokenless scrape',
        async () => {
          const r = await query('up{job="vigil-no-token"}').catch(() => []);
          return r.length > 0 ? r : undefined;
        },
        60_000,
      );
      assert.equal(up[0]?.value[1], '0');
      assert.equal((await query('vigil_uptime_seconds{job="vigil-no-token"}')).length, 0);
    });

    it('loads the alerting rules', async () => {
      const res = await fetch(`${promUrl}/api/v1/rules`);
      const body = (await res.json()) as { data: { groups: { name: string; rules: unknown[] }[] } };
      const names = body.data.groups.map((g) => g.name);
      assert.deepEqual(names.sort(), [
        'vigil-backups',
        'vigil-certificates',
        'vigil-ingest',
        'vigil-sinks',
        'vigil-storage',
      ]);
    });

    it('every metric the rules use is in /metrics', async () => {
      const { token } = await vigil.server.auth.tokens.create({
        label: 'check',
        role: 'auditor',
        owner: 'admin',
        actor: 'test',
      });
      const text = (
        await apiRequest(vigil.httpUrl, vigil.ctx.ca.certPem, {
          path: '/metrics',
          headers: { authorization: `Bearer ${token}` },
        })
      ).text;
      const exposed = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
      const used = ruleMetrics(readFileSync(join(DEPLOY, 'vigil-rules.yml'), 'utf8'));
      assert.ok(used.size >= 10, `found ${[...used].join(', ')}`);
      for (const m of used) {
        if (m === 'up') continue;
        assert.ok(exposed.has(m), `${m} is used by a rule but Vigil does not expose it`);
      }
    });
  });
}
