import { Duplex } from 'node:stream';
import { CONFIG_DEFAULTS } from '../config/schema.ts';
import type { ErrorCode } from '../errors.ts';

/** Default cap on an MQTT packet's remaining length: an envelope is at most 16 KiB (DESIGN §4). */
export const DEFAULT_MAX_PACKET_BYTES = CONFIG_DEFAULTS.mqtt.maxPacketBytes;

/** Why a stream was cut. */
export type PacketGuardReason = 'packet_too_large' | 'malformed_length' | 'reserved_packet_type';

/** A fixed header the guard refused. */
export interface PacketGuardViolation {
  reason: PacketGuardReason;
  /** MQTT control packet type (high nibble of the first byte). */
  packetType: number;
  /** The announced remaining length, when it could be decoded. */
  remainingLength?: number;
}

/** The error code and event detail of a violation (the broker's security event). */
export function violationEvent(
  v: PacketGuardViolation,
  maxPacketBytes: number,
): { code: ErrorCode; detail: Record<string, unknown> } {
  const detail: Record<string, unknown> = { packetType: v.packetType };
  if (v.remainingLength !== undefined) detail.remainingLength = v.remainingLength;
  if (v.reason === 'packet_too_large') detail.maxPacketBytes = maxPacketBytes;
  const code: ErrorCode =
    v.reason === 'packet_too_large' ? 'VIGIL_ERR_PACKET_SIZE' : 'VIGIL_ERR_MQTT_PROTOCOL';
  return { code, detail };
}

/** Options of {@link PacketGuard}. */
export interface PacketGuardOptions {
  /** Largest remaining length allowed (bytes). Default {@link DEFAULT_MAX_PACKET_BYTES}. */
  maxPacketBytes?: number;
  /** Told once, before the socket is destroyed. */
  onViolation?: (v: PacketGuardViolation) => void;
}

const S_TYPE = 0;
const S_LENGTH = 1;
const S_BODY = 2;

/**
 * Incremental MQTT fixed-header scanner (MQTT 3.1.1 §2.2, v5 §2.1.4): a type byte, then the
 * remaining length as a varint of at most 4 bytes, then that many body bytes, which it skips
 * without looking at or keeping them. It never buffers, so an announced 256 MiB body costs nothing.
 */
export class FixedHeaderScanner {
  readonly maxPacketBytes: number;
  #state = S_TYPE;
  #type = 0;
  #length = 0;
  #multiplier = 1;
  #lengthBytes = 0;
  #bodyLeft = 0;

  constructor(maxPacketBytes: number = DEFAULT_MAX_PACKET_BYTES) {
    if (!Number.isSafeInteger(maxPacketBytes) || maxPacketBytes < 2) {
      throw new RangeError('maxPacketBytes must be an integer >= 2');
    }
    this.maxPacketBytes = maxPacketBytes;
  }

  /** Feeds the next chunk; returns the first violation found (the stream must then be dropped). */
  scan(chunk: Uint8Array): PacketGuardViolation | null {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.#state === S_BODY) {
        const skip = Math.min(this.#bodyLeft, n - i);
        i += skip;
        this.#bodyLeft -= skip;
        if (this.#bodyLeft === 0) this.#state = S_TYPE;
        continue;
      }
      const byte = chunk[i++]!;
      if (this.#state === S_TYPE) {
        this.#type = byte >> 4;
        // Type 0 is reserved in every MQTT version: no legitimate client sends it.
        if (this.#type === 0) return { reason: 'reserved_packet_type', packetType: 0 };
        this.#state = S_LENGTH;
        this.#length = 0;
        this.#multiplier = 1;
        this.#lengthBytes = 0;
        continue;
      }
      // S_LENGTH: MQTT 3.1.1 §2.2.3, at most 4 bytes, 7 bits each, least significant first.
      this.#length += (byte & 0x7f) * this.#multiplier;
      this.#multiplier *= 128;
      this.#lengthBytes += 1;
      if (byte & 0x80) {
        if (this.#lengthBytes >= 4) return { reason: 'malformed_length', packetType: this.#type };
        continue;
      }
      if (this.#length > this.maxPacketBytes) {
        return { reason: 'packet_too_large', packetType: this.#type, remainingLength: this.#length };
      }
      this.#bodyLeft = this.#length;
      this.#state = this.#length === 0 ? S_TYPE : S_BODY;
    }
    return null;
  }
}

/**
 * A Duplex placed between a (TLS) socket and the MQTT broker. Reads pass through a
 * {@link FixedHeaderScanner}; the moment a header announces too much or is malformed the socket is
 * destroyed, before any of the body is buffered. Writes go straight to the socket.
 */
export class PacketGuard extends Duplex {
  readonly socket: Duplex;
  #scanner: FixedHeaderScanner;
  #onViolation: ((v: PacketGuardViolation) => void) | undefined;
  #pendingWrite: ((err?: Error | null) => void) | null = null;
  #violation: PacketGuardViolation | null = null;

  constructor(socket: Duplex, opts: PacketGuardOptions = {}) {
    super({ allowHalfOpen: false });
    this.socket = socket;
    this.#scanner = new FixedHeaderScanner(opts.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES);
    this.#onViolation = opts.onViolation;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.push(null));
    socket.on('drain', () => this.#flushPending(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => {
      this.#flushPending(new Error('socket closed'));
      if (!this.destroyed) this.destroy();
    });
  }

  /** The violation that closed this stream, if any. */
  get violation(): PacketGuardViolation | null {
    return this.#violation;
  }

  #onData(chunk: Buffer): void {
    if (this.#violation || this.destroyed) return;
    const v = this.#scanner.scan(chunk);
    if (v) {
      this.#violation = v;
      this.socket.pause();
      this.socket.destroy();
      try {
        this.#onViolation?.(v);
      } finally {
        this.destroy(Object.assign(new Error(`packet guard: ${v.reason}`), { code: 'VIGIL_PACKET_GUARD' }));
      }
      return;
    }
    if (!this.push(chunk)) this.socket.pause();
  }

  #flushPending(err: Error | null): void {
    const cb = this.#pendingWrite;
    this.#pendingWrite = null;
    cb?.(err);
  }

  override _read(): void {
    if (!this.#violation) this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.socket.destroyed) {
      cb(new Error('socket closed'));
      return;
    }
    if (this.socket.write(chunk)) cb();
    else this.#pendingWrite = cb;
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#flushPending(err ?? new Error('stream destroyed'));
    if (!this.socket.destroyed) this.socket.destroy();
    cb(err);
  }
}
