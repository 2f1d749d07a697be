import type { ErrorCode } from '../errors.ts';

/** Persistable form of one device's window (see ReplayStateRecord in the storage port). */
export interface ReplayWindowState {
  highest: number;
  bitmap: Buffer;
  /** Fingerprints of the last accepted envelopes (at most the window size), oldest first. */
  nonces: Buffer;
}

export const NONCE_FP_BYTES = 8;

/** Slots a ring starts with: a device that sent a few messages costs a few hundred bytes. */
const INITIAL_SLOTS = 16;

/**
 * The last `capacity` nonce fingerprints in acceptance order, in one buffer that doubles as it
 * fills (up to `capacity` slots) and is then reused in place (no allocation per push): what a
 * window remembers, and what the ingest pipeline keeps of the committed state. Memory follows
 * what a device has sent, not the window size.
 */
export class NonceRing {
  readonly capacity: number;
  #buf: Buffer;
  #head = 0;
  #count = 0;

  constructor(capacity: number, nonces?: Uint8Array) {
    this.capacity = capacity;
    const n = nonces ? Math.floor(nonces.length / NONCE_FP_BYTES) : 0;
    let slots = Math.min(capacity, INITIAL_SLOTS);
    while (slots < Math.min(capacity, n)) slots = Math.min(capacity, slots * 2);
    this.#buf = Buffer.alloc(slots * NONCE_FP_BYTES);
    if (nonces) for (let i = Math.max(0, n - capacity); i < n; i++) this.push(nonces, i * NONCE_FP_BYTES);
  }

  get size(): number {
    return this.#count;
  }

  /** Slots allocated now (at most `capacity`). */
  get slots(): number {
    return this.#buf.length / NONCE_FP_BYTES;
  }

  /** Byte offset in `bytes` of entry `i` (0 = oldest). */
  offsetOf(i: number): number {
    return ((this.#head + i) % this.slots) * NONCE_FP_BYTES;
  }

  /** The slots; replaced by a larger buffer when the ring grows. */
  get bytes(): Buffer {
    return this.#buf;
  }

  /**
   * Appends the fingerprint at `fp[at..at+8)`; when `capacity` entries are held, the oldest
   * makes room. Returns true when the ring grew, which moves every entry (offsets change).
   */
  push(fp: Uint8Array, at = 0): boolean {
    let grew = false;
    if (this.#count === this.slots && this.slots < this.capacity) {
      const old = this.ordered();
      this.#buf = Buffer.alloc(Math.min(this.capacity, this.slots * 2) * NONCE_FP_BYTES);
      old.copy(this.#buf);
      this.#head = 0;
      grew = true;
    }
    if (this.#count === this.capacity) {
      this.#head = (this.#head + 1) % this.slots;
      this.#count--;
    }
    this.#buf.set(fp.subarray(at, at + NONCE_FP_BYTES), this.offsetOf(this.#count));
    this.#count++;
    return grew;
  }

  /** The fingerprints, oldest first, in a new Buffer. */
  ordered(): Buffer {
    const out = Buffer.allocUnsafe(this.#count * NONCE_FP_BYTES);
    const start = this.#head * NONCE_FP_BYTES;
    const first = Math.min(this.#count, this.slots - this.#head) * NONCE_FP_BYTES;
    this.#buf.copy(out, 0, start, start + first);
    this.#buf.copy(out, first, 0, out.length - first);
    return out;
  }
}

const EMPTY = -1;

/**
 * Anti-replay sliding window over `seq`, as IPsec's (RFC 4303 §3.4.3): seq numbers above the
 * highest seen are new; seq numbers inside the window are accepted once; older ones are refused.
 * It also remembers the fingerprints of the last `size` accepted nonces (docs/protocol.md §6.3),
 * so a sender that reuses a nonce (fatal for AES-GCM) under a fresh seq is refused too.
 *
 * Bit i of `bitmap` (byte i>>3, bit i&7) says whether seq `highest - i` was accepted. The
 * fingerprints sit in a ring, found through an open-addressing table of ring offsets keyed by
 * their first 24 bits (they are hash outputs): no string or object per message; ring and table
 * grow with what the device sent, up to ~24 KiB for a full window of 1024. Pure: no clock, no I/O.
 */
export class ReplayWindow {
  readonly size: number;
  #highest: number;
  #bitmap: Uint8Array;
  readonly #ring: NonceRing;
  /** Linear-probing table of ring byte offsets (EMPTY when free); at least twice the ring's slots. */
  #table: Int32Array;
  #mask: number;

  constructor(size: number, state?: ReplayWindowState) {
    if (!Number.isInteger(size) || size < 64 || size % 8 !== 0)
      throw new Error('window size must be a multiple of 8, >= 64');
    this.size = size;
    this.#highest = state?.highest ?? -1;
    this.#bitmap = new Uint8Array(size / 8);
    if (state) this.#bitmap.set(state.bitmap.subarray(0, size / 8));
    this.#ring = new NonceRing(size, state?.nonces);
    this.#table = new Int32Array(0);
    this.#mask = 0;
    this.#rebuildTable();
  }

  /** A table sized for the ring's slots, holding every entry (after the ring grew). */
  #rebuildTable(): void {
    let cap = 1;
    while (cap < this.#ring.slots * 2) cap <<= 1;
    this.#table = new Int32Array(cap).fill(EMPTY);
    this.#mask = cap - 1;
    for (let i = 0; i < this.#ring.size; i++) this.#insert(this.#ring.offsetOf(i));
  }

  #insert(off: number): void {
    let i = this.#home(this.#ring.bytes, off);
    while (this.#table[i] !== EMPTY) i = (i + 1) & this.#mask;
    this.#table[i] = off;
  }

  get highest(): number {
    return this.#highest;
  }

  #home(fp: Uint8Array, at: number): number {
    return ((fp[at] as number) | ((fp[at + 1] as number) << 8) | ((fp[at + 2] as number) << 16)) & this.#mask;
  }

  #same(fp: Uint8Array, at: number, off: number): boolean {
    const b = this.#ring.bytes;
    for (let k = 0; k < NONCE_FP_BYTES; k++) if (b[off + k] !== fp[at + k]) return false;
    return true;
  }

  #has(fp: Uint8Array, at: number): boolean {
    for (let i = this.#home(fp, at); ; i = (i + 1) & this.#mask) {
      const off = this.#table[i] as number;
      if (off === EMPTY) return false;
      if (this.#same(fp, at, off)) return true;
    }
  }

  /** Removes the table entry holding ring offset `off` (backward-shift deletion, no tombstones). */
  #forget(off: number): void {
    const bytes = this.#ring.bytes;
    let i = this.#home(bytes, off);
    while (this.#table[i] !== off) i = (i + 1) & this.#mask;
    for (let j = (i + 1) & this.#mask; ; j = (j + 1) & this.#mask) {
      const e = this.#table[j] as number;
      if (e === EMPTY) break;
      const h = this.#home(bytes, e);
      // Entry j may fill hole i if its home is not inside (i, j] (cyclically).
      if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
        this.#table[i] = e;
        i = j;
      }
    }
    this.#table[i] = EMPTY;
  }

  #remember(fp: Uint8Array, at: number): void {
    if (this.#ring.size === this.#ring.capacity) this.#forget(this.#ring.offsetOf(0));
    if (this.#ring.push(fp, at)) this.#rebuildTable();
    else this.#insert(this.#ring.offsetOf(this.#ring.size - 1));
  }

  #bit(i: number): boolean {
    return ((this.#bitmap[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
  }

  /** Why `seq` (with this nonce fingerprint) must be refused, or null if it is acceptable. */
  check(seq: number, nonceFp: Uint8Array): ErrorCode | null {
    // An empty window has highest -1, below every seq (seqs are unsigned, docs/protocol.md §5).
    if (seq <= this.#highest) {
      const offset = this.#highest - seq;
      if (offset >= this.size) return 'VIGIL_ERR_REPLAY_TOO_OLD';
      if (this.#bit(offset)) return 'VIGIL_ERR_REPLAY';
    }
    if (this.#has(nonceFp, 0)) return 'VIGIL_ERR_NONCE_REUSE';
    return null;
  }

  /** Records `seq` as accepted. Call only after check() returned null. */
  accept(seq: number, nonceFp: Uint8Array): void {
    this.#highest = advanceSeqs(this.#bitmap, this.#highest, seq, this.size);
    this.#remember(nonceFp, 0);
  }

  state(): ReplayWindowState {
    return {
      highest: this.#highest,
      bitmap: Buffer.from(this.#bitmap),
      nonces: this.#ring.ordered(),
    };
  }
}

/**
 * Marks `seq` accepted in `bitmap` (in place) for a window whose highest seq is `highest`;
 * returns the new highest.
 */
function advanceSeqs(bitmap: Uint8Array, highest: number, seq: number, size: number): number {
  let h = highest;
  if (seq > h) {
    shiftBitmap(bitmap, h < 0 ? size : seq - h);
    h = seq;
  }
  // A seq below the window (left to a store that judges it, src/ingest/replay-guard.ts) has no bit.
  if (h - seq < size) setBit(bitmap, h - seq);
  return h;
}

/** Moves a window bitmap up by n: bit i becomes bit i + n (a little-endian big-integer left shift). */
function shiftBitmap(bytes: Uint8Array, n: number): void {
  if (n >= bytes.length * 8) {
    bytes.fill(0);
    return;
  }
  const byteShift = n >> 3;
  const bitShift = n & 7;
  for (let j = bytes.length - 1; j >= 0; j--) {
    // A typed array has no element at a negative index (undefined): the bytes shifted in are 0.
    const lo = bytes[j - byteShift] ?? 0;
    const below = bytes[j - byteShift - 1] ?? 0;
    // With bitShift 0, `below >> 8` is 0: a whole-byte move.
    bytes[j] = ((lo << bitShift) | (below >> (8 - bitShift))) & 0xff;
  }
}

function setBit(bytes: Uint8Array, i: number): void {
  bytes[i >> 3] = (bytes[i >> 3] ?? 0) | (1 << (i & 7));
}

/** One accepted message as the window records it. */
export interface AcceptedSeq {
  seq: number;
  nonceFp: Buffer;
}

/**
 * The high-water mark and bitmap a window at (`prev.highest`, `prev.bitmap`) has after accepting
 * `seqs` in order; `prev` is not changed. Pure.
 */
export function advanceSeqWindow(
  size: number,
  prev: { highest: number; bitmap: Uint8Array } | null,
  seqs: readonly number[],
): { highest: number; bitmap: Buffer } {
  const bitmap = Buffer.alloc(size / 8);
  if (prev) bitmap.set(prev.bitmap.subarray(0, size / 8));
  let highest = prev?.highest ?? -1;
  for (const seq of seqs) highest = advanceSeqs(bitmap, highest, seq, size);
  return { highest, bitmap };
}

/**
 * The state a `ReplayWindow(size, prev)` would hold after `accept()` of each entry of `accepted`,
 * in order, computed on the persisted form alone (no fingerprint table to rebuild). Pure.
 */
export function advanceWindowState(
  size: number,
  prev: ReplayWindowState | null,
  accepted: readonly AcceptedSeq[],
): ReplayWindowState {
  const { highest, bitmap } = advanceSeqWindow(
    size,
    prev,
    accepted.map((a) => a.seq),
  );
  const ring = new NonceRing(size, prev?.nonces);
  for (const a of accepted) ring.push(a.nonceFp);
  return { highest, bitmap, nonces: ring.ordered() };
}
