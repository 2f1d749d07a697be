import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { type CommandBody, parseCommandBody } from '../protocol/bodies.ts';
import { openEnvelope, parseEnvelope, verifyEnvelopeMac } from '../protocol/envelope.ts';
import type { DeviceKeys } from '../protocol/keys.ts';
import { NONCE_FP_BYTES, ReplayWindow } from '../protocol/replay-window.ts';

/** The device's downlink replay window (as the firmware's: 64 seq, docs/protocol.md §7.3). */
export const DOWNLINK_WINDOW = 64;
/** How many executed command ids a device remembers for at-most-once. */
const DONE_IDS = 1024;
/** Largest clock skew accepted on a command's `ts` (protocol §6.2 step 6). */
const MAX_FUTURE_MS = 300_000;

/** Why the device refused a downlink message (the code a device would count; never sent). */
export type DownlinkRefusal =
  | 'envelope'
  | 'topic'
  | 'unknown_kid'
  | 'mac_invalid'
  | 'ts_future'
  | 'replay'
  | 'replay_too_old'
  | 'nonce_reuse'
  | 'decrypt'
  | 'body_schema';

export type DownlinkResult =
  | { ok: true; command: CommandBody; duplicate: boolean }
  | { ok: false; reason: DownlinkRefusal };

interface Persisted {
  highest: number;
  bitmap: string;
  nonces: string;
  done: string[];
}

/**
 * The device side of protocol §7.3 for a simulated device: every receiver check of §6.2 on its
 * own `commands` topic, a downlink replay window persisted before anything runs, and at most
 * once per command id (also persisted), so neither a replayed envelope nor a resend under a new
 * seq runs a command twice, even across restarts.
 */
export class DeviceDownlink {
  readonly #path: string;
  readonly #deviceId: string;
  readonly #alg: string;
  readonly #window: ReplayWindow;
  readonly #done: string[];
  readonly #doneSet: Set<string>;

  constructor(path: string, deviceId: string, alg: string) {
    this.#path = path;
    this.#deviceId = deviceId;
    this.#alg = alg;
    const saved = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Persisted) : undefined;
    this.#window = new ReplayWindow(
      DOWNLINK_WINDOW,
      saved
        ? {
            highest: saved.highest,
            bitmap: Buffer.from(saved.bitmap, 'base64url'),
            nonces: Buffer.from(saved.nonces, 'base64url'),
          }
        : undefined,
    );
    this.#done = saved?.done ?? [];
    this.#doneSet = new Set(this.#done);
  }

  /**
   * Checks and opens one message from the device's commands topic. `keys` holds every key
   * generation the device currently has (two during a rotation).
   */
  receive(payload: Buffer, keys: ReadonlyMap<number, DeviceKeys>, now: number): DownlinkResult {
    let env: ReturnType<typeof parseEnvelope>;
    try {
      env = parseEnvelope(payload);
    } catch {
      return { ok: false, reason: 'envelope' };
    }
    if (env.dev !== this.#deviceId) return { ok: false, reason: 'topic' };
    // Bound to the provisioned alg, as the server binds the device (protocol §4).
    if (env.alg !== this.#alg) return { ok: false, reason: 'mac_invalid' };
    const k = keys.get(env.kid);
    if (!k) return { ok: false, reason: 'unknown_kid' };
    if (!verifyEnvelopeMac(env, 'commands', k.mac)) return { ok: false, reason: 'mac_invalid' };
    if (env.ts > now + MAX_FUTURE_MS) return { ok: false, reason: 'ts_future' };
    const fp = createHash('sha256')
      .update(Buffer.from(env.n, 'base64url'))
      .digest()
      .subarray(0, NONCE_FP_BYTES);
    const replay = this.#window.check(env.seq, fp);
    if (replay) {
      return {
        ok: false,
        reason:
          replay === 'VIGIL_ERR_REPLAY_TOO_OLD'
            ? 'replay_too_old'
            : replay === 'VIGIL_ERR_NONCE_REUSE'
              ? 'nonce_reuse'
              : 'replay',
      };
    }
    // The seq is spent before anything runs (firmware does the same): a crash after this point
    // cannot make the same envelope acceptable again.
    this.#window.accept(env.seq, fp);
    this.#save();
    let body: Buffer;
    try {
      body = openEnvelope(env, 'commands', k.enc);
    } catch {
      return { ok: false, reason: 'decrypt' };
    }
    let command: CommandBody;
    try {
      command = parseCommandBody(body);
    } catch {
      return { ok: false, reason: 'body_schema' };
    }
    if (this.#doneSet.has(command.id)) return { ok: true, command, duplicate: true };
    // Recorded as started before the op runs: at most once, even across a crash.
    this.#done.push(command.id);
    this.#doneSet.add(command.id);
    while (this.#done.length > DONE_IDS) this.#doneSet.delete(this.#done.shift() as string);
    this.#save();
    return { ok: true, command, duplicate: false };
  }

  #save(): void {
    const s = this.#window.state();
    const data: Persisted = {
      highest: s.highest,
      bitmap: s.bitmap.toString('base64url'),
      nonces: s.nonces.toString('base64url'),
      done: this.#done,
    };
    const tmp = `${this.#path}.tmp`;
    writeFileSync(tmp, JSON.stringify(data));
    renameSync(tmp, this.#path);
  }
}
