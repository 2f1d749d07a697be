/**
 * Helpers of test/firmware-device.test.ts: the toolchain check and build of vigil-device, the
 * device process with its event lines, and a backend service certificate for publishing
 * commands (issued with openssl from the test instance's CA).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);
export const FIRMWARE = resolve(import.meta.dirname, '../firmware');

export async function toolchainMissing(): Promise<string | null> {
  try {
    await run('cmake', ['--version']);
    await run('pkg-config', ['--exists', 'libmosquitto']);
  } catch {
    return 'cmake/libmosquitto-dev not installed';
  }
  if (!existsSync('/usr/include/mbedtls/gcm.h'))
    return 'cmake/libmosquitto-dev not installed (libmbedtls-dev)';
  return null;
}

/** A running vigil-device with its stdout as parsed event lines. */
export class DeviceProcess {
  readonly lines: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcess;
  /** Called for every line as it arrives (to act at an exact point of the stream). */
  onLine: ((line: string) => void) | undefined;

  constructor(bin: string, args: string[]) {
    this.#child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.#child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      for (const line of parts) {
        this.lines.push(line);
        this.onLine?.(line);
      }
    });
    this.#child.stderr?.on('data', (d: Buffer) => this.stderr.push(d.toString('utf8')));
    this.exited = new Promise((r) => this.#child.on('exit', (code) => r(code)));
  }

  /** Events of one kind as key -> value records, e.g. events('acked'). */
  events(kind: string): Record<string, string>[] {
    return this.lines
      .filter((l) => l.startsWith(`${kind} `))
      .map((l) =>
        Object.fromEntries(
          l
            .slice(kind.length + 1)
            .split(' ')
            .map((kv) => kv.split('=') as [string, string]),
        ),
      );
  }

  count(kind: string): number {
    return this.events(kind).length;
  }

  /** Waits until fn() holds; on timeout the error shows the device's last output. */
  async waitFor(what: string, fn: () => boolean, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!fn()) {
      if (Date.now() > deadline) {
        const tail = `${this.lines.slice(-8).join('\n')}\n${this.stderr.join('').slice(-800)}`;
        throw new Error(`timed out waiting for ${what}; device output:\n${tail}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }
}

/** Outbox index -> sample ts, from `stored` lines of telemetry records. */
export function storedTs(p: DeviceProcess): Map<string, number> {
  return new Map(
    p
      .events('stored')
      .filter((e) => e.channel === 'telemetry')
      .map((e) => [e.index ?? '', Number(e.ts)]),
  );
}

/**
 * The device stamps every reading with its own millisecond, later than the one before. Two
 * readings with one `ts` cannot be told apart from one reading stored twice, so the tests that
 * identify a reading by its `ts` check this first.
 */
export function assertTsIncreasing(p: DeviceProcess): void {
  const stored = [...storedTs(p)];
  for (let i = 1; i < stored.length; i++) {
    const [prevIndex, prev] = stored[i - 1]!;
    const [index, ts] = stored[i]!;
    assert.ok(ts > prev, `reading ${index} (ts ${ts}) is not later than reading ${prevIndex} (ts ${prev})`);
  }
}

/** Sample ts of every record in the acknowledged ranges. */
export function ackedTs(p: DeviceProcess, stored: Map<string, number>): number[] {
  const out: number[] = [];
  for (const a of p.events('acked').filter((e) => e.channel === 'telemetry')) {
    for (let i = Number(a.first); i < Number(a.first) + Number(a.count); i++) {
      const ts = stored.get(String(i));
      if (ts !== undefined) out.push(ts);
    }
  }
  return out;
}

/** Builds vigil-device with cmake into build/ under work; returns the binary. */
export async function buildVigilDevice(work: string): Promise<string> {
  const build = join(work, 'build');
  await run('cmake', ['-S', FIRMWARE, '-B', build, '-DVIGIL_BUILD_TESTS=OFF', '-DCMAKE_BUILD_TYPE=Release'], {
    timeout: 120_000,
  });
  await run('cmake', ['--build', build, '--target', 'vigil-device', '-j2'], { timeout: 240_000 });
  return join(build, 'host', 'vigil-device');
}

export interface ServiceCert {
  serial: string;
  certPem: string;
  keyPem: string;
}

/** A client certificate `O=Vigil, OU=service, CN=name` signed by the given CA, made in dir. */
export async function issueServiceCert(
  dir: string,
  ca: { certPem: string; keyPkcs8Pem: string },
  name: string,
): Promise<ServiceCert> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { mode: 0o700 });
  const caKey = join(dir, 'ca.key');
  writeFileSync(caKey, ca.keyPkcs8Pem, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.crt'), ca.certPem);
  writeFileSync(
    join(dir, 'ext.cnf'),
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n',
  );
  const serialBytes = randomBytes(16);
  serialBytes[0] = (serialBytes[0]! & 0x7f) | 0x01;
  const serial = serialBytes.toString('hex');
  const key = join(dir, 'svc.key');
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  await run('openssl', [
    'req',
    '-new',
    '-key',
    key,
    '-subj',
    `/O=Vigil/OU=service/CN=${name}`,
    '-out',
    join(dir, 'svc.csr'),
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    join(dir, 'svc.csr'),
    '-CA',
    join(dir, 'ca.crt'),
    '-CAkey',
    caKey,
    '-set_serial',
    `0x${serial}`,
    '-days',
    '1',
    '-sha256',
    '-extfile',
    join(dir, 'ext.cnf'),
    '-out',
    join(dir, 'svc.crt'),
  ]);
  rmSync(caKey);
  return { serial, certPem: readFileSync(join(dir, 'svc.crt'), 'utf8'), keyPem: readFileSync(key, 'utf8') };
}
