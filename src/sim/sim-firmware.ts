import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import {
  checkImage,
  checkManifestSignature,
  type FirmwareManifest,
  parseManifest,
  parsePublicKeyText,
} from '../ota/firmware-manifest.ts';

/** What a simulated image must contain to fail its self-test after reboot (docs/ota.md). */
export const SELF_TEST_FAIL_MARKER = 'VIGIL-SELFTEST-FAIL';
/** Download attempts per `ota` command, each resuming where the last stopped (Range). */
const MAX_ATTEMPTS = 6;
const RETRY_MS = 300;

type Slot = 'a' | 'b';
interface Persisted {
  active: Slot;
  slots: Record<Slot, { version: string; counter: number } | null>;
  /** Highest security counter of a confirmed image: lower ones are refused (anti-rollback). */
  floor: number;
  /** Installed in the inactive slot, waiting for the reboot's self-test. */
  trial: { slot: Slot; version: string; counter: number } | null;
}

export interface FirmwareTls {
  ca: string;
  cert: string;
  key: string;
}

export interface SimFirmwareStats {
  /** HTTP requests, of which with a Range header, and image bytes received. */
  requests: number;
  rangeRequests: number;
  bytes: number;
}

export interface SimFirmwareHooks {
  /** Sends an `ota` event (protocol §7.5). */
  event(body: Record<string, string | number>): void;
  /** Reboots the device (drops the connection, connects again). */
  reboot(): void;
  tls(): FirmwareTls;
}

/**
 * The firmware side of a simulated device (docs/protocol.md §7.5): A/B slots persisted in the
 * bundle directory, downloads over mutual TLS with Range resume, verification of size, SHA-256
 * and the Ed25519 signature before anything is installed, anti-rollback on the security counter,
 * install to the inactive slot, reboot, self-test, confirm or roll back.
 */
export class SimFirmware {
  readonly stats: SimFirmwareStats = { requests: 0, rangeRequests: 0, bytes: 0 };
  /** Test hook: the next download drops its connection after this many bytes (an interrupted link). */
  dropAfterBytes: number | null = null;
  readonly #dir: string;
  readonly #profile: string;
  readonly #trusted: string[];
  readonly #hooks: SimFirmwareHooks;
  #s: Persisted;
  /** Powered on or rebooted, not yet connected since: the self-test and the boot report are due. */
  #booting = true;

  constructor(
    dir: string,
    profile: string,
    trusted: string[],
    hooks: SimFirmwareHooks,
    initialVersion = '1.0.0',
  ) {
    this.#dir = dir;
    this.#profile = profile;
    this.#trusted = trusted;
    this.#hooks = hooks;
    const path = join(dir, 'firmware.json');
    this.#s = existsSync(path)
      ? (JSON.parse(readFileSync(path, 'utf8')) as Persisted)
      : {
          active: 'a',
          slots: { a: { version: initialVersion, counter: 0 }, b: null },
          floor: 0,
          trial: null,
        };
  }

  get version(): string {
    return this.#s.slots[this.#s.active]?.version ?? '0.0.0';
  }

  get floor(): number {
    return this.#s.floor;
  }

  /** The checks made before accepting an `ota` command; a refusal reason, or the manifest. */
  check(manifestText: unknown, url: unknown): { manifest: FirmwareManifest } | { error: string } {
    const m = parseManifest(typeof manifestText === 'string' ? manifestText : '');
    if (!m) return { error: 'manifest' };
    if (typeof url !== 'string' || !url.startsWith('https://')) return { error: 'url' };
    let keys: ReturnType<typeof parsePublicKeyText>[];
    try {
      keys = this.#trusted.map(parsePublicKeyText);
    } catch {
      return { error: 'unknown_key' };
    }
    const sig = checkManifestSignature(m, keys);
    if (sig) return { error: sig };
    if (m.profile !== this.#profile) return { error: 'profile' };
    if (m.securityCounter < this.#s.floor) return { error: 'rollback' };
    return { manifest: m };
  }

  /** After an accepted `ota` command: download, verify, install, reboot (events on the way). */
  async run(url: string, m: FirmwareManifest): Promise<void> {
    const part = join(this.#dir, 'ota.part');
    // A part file of another image is not resumed.
    const tag = join(this.#dir, 'ota.part.sha256');
    if (!existsSync(tag) || readFileSync(tag, 'utf8') !== m.sha256) {
      rmSync(part, { force: true });
      writeFileSync(tag, m.sha256);
    }
    let lastPct = -1;
    const progress = (have: number) => {
      const pct = Math.floor((have * 100) / m.size);
      if (pct >= lastPct + 25 || (pct === 100 && lastPct !== 100)) {
        lastPct = pct;
        this.#hooks.event({ type: 'ota', state: 'downloading', version: m.version, pct });
      }
    };
    let done = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && !done; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, RETRY_MS));
      try {
        done = await this.#fetch(url, part, m.size, progress);
      } catch {
        // A dropped connection: the next attempt resumes from what is on flash.
      }
    }
    if (!done) return this.#fail(m, 'download');
    this.#hooks.event({ type: 'ota', state: 'verifying', version: m.version });
    const image = readFileSync(part);
    const bad = checkImage(m, image);
    rmSync(part, { force: true });
    rmSync(tag, { force: true });
    if (bad) return this.#fail(m, bad);
    // Install into the inactive slot; the active one stays bootable until the new one confirms.
    const slot: Slot = this.#s.active === 'a' ? 'b' : 'a';
    writeFileSync(join(this.#dir, `slot-${slot}.bin`), image);
    this.#s.trial = { slot, version: m.version, counter: m.securityCounter };
    this.#save();
    this.#hooks.event({ type: 'ota', state: 'installing', version: m.version });
    this.#hooks.event({ type: 'ota', state: 'rebooting', version: m.version });
    this.#hooks.reboot();
  }

  /** The device goes down for a reboot (any cause): its next connection is a boot. */
  rebooting(): void {
    this.#booting = true;
  }

  /**
   * At each connection; after a boot, a trial image is self-tested and confirmed or rolled back,
   * then the running version is reported (a reconnection after a lost link is no boot).
   */
  onConnect(): void {
    if (!this.#booting) return;
    this.#booting = false;
    const t = this.#s.trial;
    if (t) {
      const image = readFileSync(join(this.#dir, `slot-${t.slot}.bin`));
      this.#s.trial = null;
      if (image.includes(SELF_TEST_FAIL_MARKER)) {
        this.#save();
        this.#hooks.event({
          type: 'ota',
          state: 'rolled_back',
          version: this.version,
          error: 'self_test',
          tried: t.version,
        });
      } else {
        this.#s.slots[t.slot] = { version: t.version, counter: t.counter };
        this.#s.active = t.slot;
        this.#s.floor = Math.max(this.#s.floor, t.counter);
        this.#save();
        this.#hooks.event({ type: 'ota', state: 'confirmed', version: t.version });
      }
    }
    this.#hooks.event({ type: 'ota', state: 'running', version: this.version });
  }

  #fail(m: FirmwareManifest, error: string): void {
    this.#hooks.event({ type: 'ota', state: 'failed', version: m.version, error });
  }

  /** One GET (with Range when part of the image is on flash); true once the whole image is there. */
  #fetch(url: string, part: string, size: number, progress: (have: number) => void): Promise<boolean> {
    const have = existsSync(part) ? statSync(part).size : 0;
    if (have >= size) return Promise.resolve(have === size);
    const tls = this.#hooks.tls();
    const drop = this.dropAfterBytes;
    this.dropAfterBytes = null;
    this.stats.requests++;
    if (have > 0) this.stats.rangeRequests++;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          headers: have > 0 ? { range: `bytes=${have}-` } : {},
          timeout: 15_000,
        },
        (res) => {
          if (res.statusCode !== (have > 0 ? 206 : 200)) {
            res.resume();
            reject(new Error(`HTTP ${res.statusCode}`));
            return;
          }
          let got = have;
          res.on('data', (chunk: Buffer) => {
            let c = chunk;
            if (drop !== null && got - have + c.length >= drop) {
              c = c.subarray(0, Math.max(0, drop - (got - have)));
              writeChunk(part, c);
              got += c.length;
              this.stats.bytes += c.length;
              req.destroy(new Error('link dropped'));
              return;
            }
            writeChunk(part, c);
            got += c.length;
            this.stats.bytes += c.length;
            progress(got);
          });
          res.on('end', () => resolve(got === size));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
  }

  #save(): void {
    const path = join(this.#dir, 'firmware.json');
    writeFileSync(`${path}.tmp`, JSON.stringify(this.#s));
    renameSync(`${path}.tmp`, path);
  }
}

function writeChunk(path: string, chunk: Buffer): void {
  if (chunk.length > 0) writeFileSync(path, chunk, { flag: 'a' });
}
