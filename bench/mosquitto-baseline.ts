import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { MOSQUITTO_TLS12_CIPHERS } from '../src/pki/tls-policy.ts';
import { sleep } from './clock.ts';
import { makeTempDir, removeTempDir } from './temp-dirs.ts';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

export interface MosquittoBroker {
  url: string;
  close(): Promise<void>;
}

const children = new Set<ChildProcess>();
let hooked = false;

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * The W1 pass-through baseline: Debian's Mosquitto 2.0 on 127.0.0.1 with the Vigil server
 * certificate, `require_certificate` against the Vigil CA (the certificate CN is the user name),
 * the TLS 1.2 suites Vigil's `mosquitto-config` writes (TLS 1.3 suites at Mosquitto's default),
 * no persistence and no ACL: it only routes. A QoS 1 subscriber receives what it routes;
 * `max_queued_messages 0` (no bound: the run is bounded) so nothing is dropped when the
 * subscriber lags, and `max_inflight_messages 64` as the publishers' window.
 */
export async function startMosquitto(material: {
  cert: string;
  key: string;
  ca: string;
}): Promise<MosquittoBroker> {
  if (!existsSync(MOSQUITTO_BIN)) throw new Error(`${MOSQUITTO_BIN} not installed`);
  const dir = makeTempDir('vigil-bench-mosquitto-');
  const file = (name: string, text: string, mode = 0o600) => {
    const p = join(dir, name);
    writeFileSync(p, text, { mode });
    return p;
  };
  const port = await freePort();
  const conf = [
    'per_listener_settings false',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    // Started as root, Mosquitto would switch to the `mosquitto` user, which cannot read this
    // private temporary directory.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    'allow_anonymous false',
    'max_inflight_messages 64',
    'max_queued_messages 0',
    `listener ${port} 127.0.0.1`,
    `cafile ${file('ca.crt', material.ca)}`,
    `certfile ${file('server.crt', material.cert)}`,
    `keyfile ${file('server.key', material.key)}`,
    'require_certificate true',
    'use_identity_as_username true',
    `ciphers ${MOSQUITTO_TLS12_CIPHERS}`,
  ].join('\n');
  const child = spawn(MOSQUITTO_BIN, ['-c', file('mosquitto.conf', `${conf}\n`)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const c of children) c.kill('SIGKILL');
    });
  }
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    children.delete(child);
    removeTempDir(dir);
  };
  // Ready when the port accepts (bounded: 10 s).
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) break;
    if (await accepts(port)) return { url: `mqtts://127.0.0.1:${port}`, close };
    await sleep(50);
  }
  await close();
  throw new Error(`mosquitto did not start: ${stderr}`);
}
