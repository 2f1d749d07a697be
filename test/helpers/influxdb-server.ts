/**
 * A real InfluxDB 1.x (Debian's `influxd`) for the sink tests: its own temporary directory,
 * loopback ports, `auth-enabled` and `https-enabled` with a certificate from a test CA, an admin
 * and a write-only user for Vigil. Stopped and removed by `destroy`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestPki } from '../../src/pki/test-pki.fixture.ts';
import { freePort } from './run-vigil.ts';

export const INFLUXD = '/usr/bin/influxd';

export interface InfluxServer {
  url: string;
  /** The test CA that signed InfluxDB's certificate (PEM). */
  caPem: string;
  database: string;
  writer: { username: string; password: string };
  /** An InfluxQL query as the admin (times in epoch ms); the parsed JSON answer. */
  query(q: string): Promise<InfluxAnswer>;
  /** Stops influxd (SIGTERM, then SIGKILL) and starts it again on the same files and ports. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
  log(): string;
}

export interface InfluxAnswer {
  results: {
    statement_id: number;
    error?: string;
    series?: { name: string; columns: string[]; values: unknown[][] }[];
  }[];
}

function call(
  url: string,
  ca: string,
  o: { method: 'GET' | 'POST'; form?: Record<string, string>; auth?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = o.form ? new URLSearchParams(o.form).toString() : '';
    const req = request(url, {
      method: o.method,
      ca,
      agent: false,
      timeout: 10_000,
      headers: {
        ...(o.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...(o.auth ? { authorization: o.auth } : {}),
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

export async function startInfluxServer(): Promise<InfluxServer> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-influx-'));
  const pki = await makeTestPki();
  writeFileSync(join(dir, 'influx.crt'), pki.server.certPem);
  writeFileSync(join(dir, 'influx.key'), pki.server.keyPkcs8Pem, { mode: 0o600 });
  for (const d of ['meta', 'data', 'wal']) mkdirSync(join(dir, d));
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  writeFileSync(
    join(dir, 'influxdb.conf'),
    `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${join(dir, 'meta')}"
[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
[coordinator]
[retention]
  enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = true
  log-enabled = false
  https-enabled = true
  https-certificate = "${join(dir, 'influx.crt')}"
  https-private-key = "${join(dir, 'influx.key')}"
[subscriber]
  enabled = false
[continuous_queries]
  enabled = false
`,
  );
  const url = `https://127.0.0.1:${httpPort}`;
  const admin = { username: 'admin', password: 'admin-test-password-1' };
  const writer = { username: 'vigil', password: 'vigil-test-password-2' };
  let child: ChildProcess | undefined;
  let log = '';

  const start = async () => {
    const c = spawn(INFLUXD, ['run', '-config', join(dir, 'influxdb.conf')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    c.stdout?.on('data', (d) => {
      log = (log + d).slice(-20_000);
    });
    c.stderr?.on('data', (d) => {
      log = (log + d).slice(-20_000);
    });
    const end = Date.now() + 30_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`influxd exited ${c.exitCode}:\n${log}`);
      const ok = await call(`${url}/ping`, pki.ca.certPem, { method: 'GET' }).then(
        (r) => r.status === 204,
        () => false,
      );
      if (ok) return;
      if (Date.now() > end) throw new Error(`influxd did not answer /ping within 30 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  const query = async (q: string, auth = basic(admin.username, admin.password)) => {
    const r = await call(`${url}/query`, pki.ca.certPem, {
      method: 'POST',
      form: { q, db: 'vigil', epoch: 'ms' },
      auth,
    });
    if (r.status !== 200) throw new Error(`InfluxDB ${r.status}: ${r.body}`);
    const answer = JSON.parse(r.body) as InfluxAnswer;
    const err = answer.results.find((x) => x.error)?.error;
    if (err) throw new Error(`InfluxDB: ${err}`);
    return answer;
  };

  try {
    await start();
    // With auth-enabled, the first user may be created without credentials, and must be an admin.
    const first = await call(`${url}/query`, pki.ca.certPem, {
      method: 'POST',
      form: { q: `CREATE USER "${admin.username}" WITH PASSWORD '${admin.password}' WITH ALL PRIVILEGES` },
    });
    if (first.status !== 200) throw new Error(`cannot create the admin: ${first.status} ${first.body}`);
    await query('CREATE DATABASE "vigil"');
    await query(`CREATE USER "${writer.username}" WITH PASSWORD '${writer.password}'`);
    await query(`GRANT WRITE ON "vigil" TO "${writer.username}"`);
  } catch (err) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    url,
    caPem: pki.ca.certPem,
    database: 'vigil',
    writer,
    query: (q) => query(q),
    restart: async () => {
      await stop();
      await start();
    },
    stop,
    start,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => log,
  };
}

export const influxAvailable = (): boolean => existsSync(INFLUXD);
