import type { ErrorCode } from '../errors.ts';

/** Persistable form of one device's window (see ReplayStateRecord in the storage port). */
export interface ReplayWindowState {
  highest: number;
  bitmap: Buffer;
  nonces: Buffer;
}

export const NONCE_FP_BYTES = 8;

/**
 * Anti-replay sliding window over `seq`, as IPsec's (RFC 4303 §3.4.3): seq numbers above the
 * highest seen are new; seq numbers inside the window are accepted once; older ones are refused.
 * It also remembers a fingerprint of each accepted nonce inside the window, so a sender that
 * reuses a nonce (fatal for AES-GCM) under a fresh seq is refused too.
 *
 * Bit i of `bitmap` (byte i>>3, bit i&7) says whether seq `highest - i` was accepted.
 * Pure: no clock, no I/O.
 */
export class ReplayWindow {
  readonly size: number;
  #highest: number;
  #bitmap: Uint8Array;
  /** Fingerprints in acceptance order: a ring of `size` slots of NONCE_FP_BYTES each. */
  #ring: Buffer;
  /** Index of the oldest slot, and how many slots are used. */
  #head = 0;
  #count = 0;
  /** Fingerprint (hex) -> how many slots hold it (normally 1). */
  #set = new Map<string, number>();

  constructor(size: number, state?: ReplayWindowState) {
    if (!Number.isInteger(size) || size < 64 || size % 8 !== 0)
      throw new Error('window size must be a multiple of 8, >= 64');
    this.size = size;
    this.#highest = state?.highest ?? -1;
    this.#bitmap = new Uint8Array(size / 8);
    if (state) this.#bitmap.set(state.bitmap.subarray(0, size / 8));
    this.#ring = Buffer.alloc(size * NONCE_FP_BYTES);
    if (state) {
      const n = Math.floor(state.nonces.length / NONCE_FP_BYTES);
      for (let i = Math.max(0, n - size); i < n; i++) {
        this.#push(state.nonces.subarray(i * NONCE_FP_BYTES, (i + 1) * NONCE_FP_BYTES));
      }
    }
  }

  #slot(i: number): Buffer {
    const at = ((this.#head + i) % this.size) * NONCE_FP_BYTES;
    return this.#ring.subarray(at, at + NONCE_FP_BYTES);
  }

  #push(fp: Buffer): void {
    if (this.#count === this.size) {
      const oldest = this.#slot(0).toString('hex');
      const left = (this.#set.get(oldest) ?? 1) - 1;
      if (left > 0) this.#set.set(oldest, left);
      else this.#set.delete(oldest);
      this.#head = (this.#head + 1) % this.size;
      this.#count--;
    }
    fp.copy(this.#slot(this.#count), 0, 0, NONCE_FP_BYTES);
    this.#count++;
    const hex = fp.subarray(0, NONCE_FP_BYTES).toString('hex');
    this.#set.set(hex, (this.#set.get(hex) ?? 0) + 1);
  }

  get highest(): number {
    return this.#highest;
  }

  #bit(i: number): boolean {
    return ((this.#bitmap[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
  }

  #setBit(i: number, on: boolean): void {
    const byte = i >> 3;
    const cur = this.#bitmap[byte] ?? 0;
    this.#bitmap[byte] = on ? cur | (1 << (i & 7)) : cur & ~(1 << (i & 7));
  }

  /** Why `seq` (with this nonce fingerprint) must be refused, or null if it is acceptable. */
  check(seq: number, nonceFp: Buffer): ErrorCode | null {
    if (this.#highest >= 0 && seq <= this.#highest) {
      const offset = this.#highest - seq;
      if (offset >= this.size) return 'VIGIL_ERR_REPLAY_TOO_OLD';
      if (this.#bit(offset)) return 'VIGIL_ERR_REPLAY';
    }
    if (this.#set.has(nonceFp.subarray(0, NONCE_FP_BYTES).toString('hex'))) return 'VIGIL_ERR_NONCE_REUSE';
    return null;
  }

  /** Records `seq` as accepted. Call only after check() returned null. */
  accept(seq: number, nonceFp: Buffer): void {
    if (seq > this.#highest) {
      const shift = this.#highest < 0 ? this.size : seq - this.#highest;
      this.#shift(shift);
      this.#highest = seq;
    }
    this.#setBit(this.#highest - seq, true);
    this.#push(nonceFp);
  }

  /** Undoes accept() when the message could not be stored, so its redelivery is accepted. */
  forget(seq: number, nonceFp: Buffer): void {
    const offset = this.#highest - seq;
    if (offset >= 0 && offset < this.size) this.#setBit(offset, false);
    // Only the newest fingerprint can be undone (forget follows a failed store of it); its slot
    // is released so the ring stays in acceptance order.
    if (this.#count > 0 && this.#slot(this.#count - 1).equals(nonceFp.subarray(0, NONCE_FP_BYTES))) {
      const hex = nonceFp.subarray(0, NONCE_FP_BYTES).toString('hex');
      const left = (this.#set.get(hex) ?? 1) - 1;
      if (left > 0) this.#set.set(hex, left);
      else this.#set.delete(hex);
      this.#count--;
    }
  }

  /** Moves the window up by n: bit i becomes bit i + n (a little-endian big-integer left shift). */
  #shift(n: number): void {
    const bytes = this.#bitmap;
    if (n >= this.size) {
      bytes.fill(0);
      return;
    }
    const byteShift = n >> 3;
    const bitShift = n & 7;
    for (let j = bytes.length - 1; j >= 0; j--) {
      const src = j - byteShift;
      const lo = src >= 0 ? (bytes[src] ?? 0) : 0;
      const below = src - 1 >= 0 ? (bytes[src - 1] ?? 0) : 0;
      bytes[j] = bitShift === 0 ? lo : ((lo << bitShift) | (below >> (8 - bitShift))) & 0xff;
    }
  }

  #ordered(): Buffer {
    const out = Buffer.allocUnsafe(this.#count * NONCE_FP_BYTES);
    const start = this.#head * NONCE_FP_BYTES;
    const firstLen = Math.min(this.#count, this.size - this.#head) * NONCE_FP_BYTES;
    this.#ring.copy(out, 0, start, start + firstLen);
    this.#ring.copy(out, firstLen, 0, out.length - firstLen);
    return out;
  }

  state(): ReplayWindowState {
    return {
      highest: this.#highest,
      bitmap: Buffer.from(this.#bitmap),
      nonces: this.#ordered(),
    };
  }
}
