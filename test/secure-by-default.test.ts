/**
 * Secure by default (CRA Annex I Part I (2)(a); ETSI EN 303 645 provisions 5.1-1, 5.6-1): a fresh
 * install has no default password, listens on TLS only, generates every secret at first start
 * (different on every install), and sends nothing anywhere it was not told to (no telemetry).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { connect as netConnect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { CONFIG_DEFAULTS } from '../src/config/schema.ts';
import { openContext } from '../src/data-dir/context.ts';
import { startInstance } from './helpers/instance.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-secure-default-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Two installs, first start each, with nothing configured (the master key file generated). */
async function freshInstall(name: string) {
  const dataDir = join(root, name);
  const ctx = await openContext({ dataDir, env: {}, logLevel: 'silent', create: true, createAdmin: true });
  const users = await ctx.accountStore.listUsers();
  await ctx.close();
  const files: Record<string, Buffer> = {};
  for (const f of ['master.key', 'pki/ca.key.sealed', 'pki/server.key.sealed', 'pki/ca.crt'])
    files[f] = readFileSync(join(dataDir, f));
  return { dataDir, created: ctx.created, users, files };
}

/** Listening TCP sockets of this process: local ports from /proc/net/tcp{,6} whose inode is one of our fds. */
function listeningPorts(): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address rem_address st ... inode (10th column); st 0A = LISTEN
      if (cols[3] === '0A' && inodes.has(cols[9] ?? ''))
        ports.add(Number.parseInt(cols[1]?.split(':')[1] ?? '', 16));
    }
  }
  return [...ports].sort();
}

describe('secure by default', () => {
  it('has no default password: the only account gets a random one-time password and must set its own and enrol TOTP', async () => {
    const a = await freshInstall('a');
    const b = await freshInstall('b');
    for (const install of [a, b]) {
      assert.equal(install.users.length, 1);
      const [admin] = install.users;
      assert.equal(admin?.role, 'admin');
      assert.equal(admin?.mustChangePassword, true);
      assert.equal(admin?.mustEnrolMfa, true);
      assert.equal(admin?.totpSecretEnc, null);
    }
    const otp = (c: string[]) => /one-time password (\S+)/.exec(c.join('\n'))?.[1];
    assert.ok(otp(a.created) && otp(b.created));
    assert.notEqual(otp(a.created), otp(b.created), 'each install its own password');
    assert.notEqual(a.users[0]?.passwordHash, b.users[0]?.passwordHash);
  });

  it('generates every secret at first start, different on every install, readable by the owner only', async () => {
    const a = await freshInstall('c');
    const b = await freshInstall('d');
    for (const f of Object.keys(a.files))
      assert.notDeepEqual(a.files[f], b.files[f], `${f} differs between installs`);
    assert.match(a.files['master.key']?.toString() ?? '', /^[0-9a-f]{64}\n$/);
    for (const f of ['master.key', 'pki/ca.key.sealed', 'pki/server.key.sealed'])
      assert.equal(statSync(join(a.dataDir, f)).mode & 0o077, 0, `${f} is private`);
    assert.equal(statSync(a.dataDir).mode & 0o777, 0o700);
  });

  it('listens on TLS only: three ports (MQTT, HTTPS, firmware downloads), none answers plain HTTP or plain MQTT', async () => {
    assert.equal(CONFIG_DEFAULTS.mqtt.port, 8883);
    assert.equal(CONFIG_DEFAULTS.http.port, 8443);
    assert.equal(CONFIG_DEFAULTS.ota.port, 8444);
    const vigil = await startInstance();
    try {
      const ports = listeningPorts();
      assert.deepEqual(
        ports,
        [vigil.server.mqttPort, vigil.server.httpPort, vigil.server.otaPort].sort(),
        'nothing else listens',
      );
      for (const port of ports) {
        const answer = await plainExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
        assert.doesNotMatch(answer, /^HTTP\//, `port ${port} does not speak plain HTTP`);
        // An MQTT 3.1.1 CONNECT in clear: no CONNACK (0x20) comes back.
        const connect = Buffer.from('101000044d5154540402003c0004746573743a', 'hex');
        const reply = await plainExchange(port, connect);
        assert.notEqual(reply.charCodeAt(0), 0x20, `port ${port} does not speak plain MQTT`);
      }
    } finally {
      await vigil.destroy();
    }
  });

  it('sends nothing anywhere by default: no telemetry, no outbound connection but to loopback', async () => {
    const targets: string[] = [];
    const original = Socket.prototype.connect;
    // Every outbound TCP connection of this process goes through Socket#connect.
    Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
      const o = args[0] as { host?: string; port?: number } | number;
      targets.push(
        typeof o === 'object'
          ? `${o.host ?? 'localhost'}:${o.port}`
          : `${String(args[1] ?? 'localhost')}:${o}`,
      );
      return (original as (...a: unknown[]) => Socket).apply(this, args);
    } as typeof Socket.prototype.connect;
    try {
      const vigil = await startInstance();
      await new Promise((r) => setTimeout(r, 2000));
      await vigil.destroy();
    } finally {
      Socket.prototype.connect = original;
    }
    const outside = targets.filter((t) => !/^(127\.0\.0\.1|::1|localhost|\[::1\]):/.test(t));
    assert.deepEqual(outside, []);
    assert.ok(
      !Object.keys(CONFIG_DEFAULTS).some((k) => /telemetry|analytics|usage/i.test(k)),
      'no telemetry setting',
    );
  });

  it('only the modules that talk to targets an operator configured open outbound connections', () => {
    // Each with why: a new outbound client must be reviewed and added here.
    const SECLAB = 'vigil seclab attacking its throwaway Vigil, or the one on --data-dir (loopback only)';
    const allowed = new Map([
      [
        'src/net/https-post.ts',
        'sinks (sinks.influxdb, sinks.webhook) and notification channels (SMS, voice, webhooks) the operator configured',
      ],
      ['src/doctor/checks/tls.ts', "vigil doctor probing this instance's own listeners"],
      ['src/broker/mqtt-link.ts', 'the external broker the operator configured (mqtt.external.url)'],
      ['src/sim/sim-device.ts', 'simulated devices, to the broker they were given'],
      [
        'src/sim/sim-firmware.ts',
        'simulated devices downloading an image from the URL of a signed `ota` command (docs/ota.md), with their client certificate',
      ],
      ['src/sim/claim-device.ts', 'a simulated device claiming its certificate, at the broker it was given'],
      ['src/power/nut-client.ts', "the host UPS's upsd the operator configured (power.nut)"],
      [
        'src/gateway/gateway-node.ts',
        'vigil gateway forwarding to the upstream broker named in its bundle (upstream_url)',
      ],
      ['src/seclab/flood.ts', SECLAB],
      ['src/seclab/https-client.ts', SECLAB],
      ['src/seclab/mqtt-tools.ts', SECLAB],
      ['src/seclab/rogue-servers.ts', SECLAB],
      ['src/seclab/scenarios/downgrade.ts', SECLAB],
      ['src/seclab/scenarios/sniffing.ts', SECLAB],
    ]);
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !/\.(test|fixture)\.ts$|-contract\.ts$/.test(p)) {
          const text = readFileSync(p, 'utf8');
          // Client calls imported by name from Node's network modules, fetch, or an MQTT client.
          const clientImport = [
            ...text.matchAll(/^import (?!type)\{([^}]*)\} from 'node:(?:https?|net|tls|dgram)';$/gm),
          ].some((m) =>
            /\b(?:request|get|connect|createConnection|createSocket)\b/.test(
              (m[1] ?? '').replace(/\btype \w+/g, ''),
            ),
          );
          const defaultImport =
            /^import (?:https?|net|tls|dgram) from 'node:(?:https?|net|tls|dgram)';$/m.test(text) &&
            /\b(?:https?|net|tls)\.(?:request|get|connect|createConnection)\(/.test(text);
          if (
            clientImport ||
            defaultImport ||
            /\bfetch\(|\bmqtt(?:\.default)?\.connect(?:Async)?\(/.test(text)
          )
            found.push(relative(join(import.meta.dirname, '..'), p));
        }
      }
    };
    walk(join(import.meta.dirname, '..', 'src'));
    for (const f of found)
      assert.ok(allowed.has(f), `${f} opens outbound connections: review it and list it with its reason`);
  });
});

/** Sends `data` in clear to a loopback port; what came back (latin1) before close or 2 s. */
function plainExchange(port: number, data: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      s.destroy();
      resolve(got);
    };
    s.on('connect', () => s.write(data));
    s.on('data', (d) => {
      got += d.toString('latin1');
    });
    s.on('error', done);
    s.on('close', done);
    setTimeout(done, 2000).unref();
  });
}
