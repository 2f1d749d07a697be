/**
 * Ascon-AEAD128 as finalised in NIST SP 800-232 (August 2025).
 *
 * Pure: no I/O, no clock, no randomness. The caller supplies a unique nonce per key.
 *
 * Each 64-bit state word is held as two 32-bit halves (hi, lo) so the hot path needs no BigInt.
 * Words are loaded from and stored to bytes little-endian (SP 800-232 §2.1: byte i of a block is
 * bits 8i..8i+7 of the word), which is what distinguishes the final standard from Ascon-128 v1.2.
 */

const KEY_BYTES = 16;
const NONCE_BYTES = 16;
const TAG_BYTES = 16;
/** SP 800-232 §4.1: rate r = 128 bits. */
const RATE = 16;

// SP 800-232 §4.1.1: IV = 0x00001000808c0001 (a = 12, b = 8, r = 128, k = 128, version 1).
const IV_HI = 0x00001000;
const IV_LO = 0x808c0001 | 0;

// SP 800-232 Table 5: round constants c_0 .. c_15; Ascon-p[rnd] uses the last rnd of them
// (i = 16 - rnd .. 15). Only the low byte is non-zero, so they touch the low half of x2 only.
const RC = [0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b];

/**
 * Ascon-p[rounds] on a state of ten 32-bit halves: s[2i] = hi(x_i), s[2i + 1] = lo(x_i).
 * SP 800-232 §3: constant addition p_C, substitution layer p_S, linear layer p_L.
 */
function permute(s: Int32Array, rounds: number): void {
  let x0h = s[0]!;
  let x0l = s[1]!;
  let x1h = s[2]!;
  let x1l = s[3]!;
  let x2h = s[4]!;
  let x2l = s[5]!;
  let x3h = s[6]!;
  let x3l = s[7]!;
  let x4h = s[8]!;
  let x4l = s[9]!;
  for (let r = 12 - rounds; r < 12; r++) {
    // p_C (§3.2)
    x2l ^= RC[r]!;
    // p_S (§3.3): the 5-bit S-box in bitsliced form, on each half independently.
    x0h ^= x4h;
    x4h ^= x3h;
    x2h ^= x1h;
    let t0 = ~x0h & x1h;
    let t1 = ~x1h & x2h;
    let t2 = ~x2h & x3h;
    let t3 = ~x3h & x4h;
    let t4 = ~x4h & x0h;
    x0h ^= t1;
    x1h ^= t2;
    x2h ^= t3;
    x3h ^= t4;
    x4h ^= t0;
    x1h ^= x0h;
    x0h ^= x4h;
    x3h ^= x2h;
    x2h = ~x2h;

    x0l ^= x4l;
    x4l ^= x3l;
    x2l ^= x1l;
    t0 = ~x0l & x1l;
    t1 = ~x1l & x2l;
    t2 = ~x2l & x3l;
    t3 = ~x3l & x4l;
    t4 = ~x4l & x0l;
    x0l ^= t1;
    x1l ^= t2;
    x2l ^= t3;
    x3l ^= t4;
    x4l ^= t0;
    x1l ^= x0l;
    x0l ^= x4l;
    x3l ^= x2l;
    x2l = ~x2l;

    // p_L (§3.4): x_i ^= (x_i >>> a) ^ (x_i >>> b), 64-bit rotations split into halves.
    // x0: rotations 19 and 28 (both < 32).
    let h = x0h;
    let l = x0l;
    x0h = h ^ ((h >>> 19) | (l << 13)) ^ ((h >>> 28) | (l << 4));
    x0l = l ^ ((l >>> 19) | (h << 13)) ^ ((l >>> 28) | (h << 4));
    // x1: rotations 61 and 39 (both > 32: swap halves, then rotate by 29 and 7).
    h = x1h;
    l = x1l;
    x1h = h ^ ((l >>> 29) | (h << 3)) ^ ((l >>> 7) | (h << 25));
    x1l = l ^ ((h >>> 29) | (l << 3)) ^ ((h >>> 7) | (l << 25));
    // x2: rotations 1 and 6.
    h = x2h;
    l = x2l;
    x2h = h ^ ((h >>> 1) | (l << 31)) ^ ((h >>> 6) | (l << 26));
    x2l = l ^ ((l >>> 1) | (h << 31)) ^ ((l >>> 6) | (h << 26));
    // x3: rotations 10 and 17.
    h = x3h;
    l = x3l;
    x3h = h ^ ((h >>> 10) | (l << 22)) ^ ((h >>> 17) | (l << 15));
    x3l = l ^ ((l >>> 10) | (h << 22)) ^ ((l >>> 17) | (h << 15));
    // x4: rotations 7 and 41 (41 > 32: swap halves, then rotate by 9).
    h = x4h;
    l = x4l;
    x4h = h ^ ((h >>> 7) | (l << 25)) ^ ((l >>> 9) | (h << 23));
    x4l = l ^ ((l >>> 7) | (h << 25)) ^ ((h >>> 9) | (l << 23));
  }
  s[0] = x0h;
  s[1] = x0l;
  s[2] = x1h;
  s[3] = x1l;
  s[4] = x2h;
  s[5] = x2l;
  s[6] = x3h;
  s[7] = x3l;
  s[8] = x4h;
  s[9] = x4l;
}

/** Little-endian 32-bit load. */
function load32(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
}

/** Little-endian 32-bit store. */
function store32(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

/** XOR a 16-byte block at b[o..o+16) into the rate (x0, x1), little-endian. */
function absorbBlock(s: Int32Array, b: Uint8Array, o: number): void {
  s[1]! ^= load32(b, o);
  s[0]! ^= load32(b, o + 4);
  s[3]! ^= load32(b, o + 8);
  s[2]! ^= load32(b, o + 12);
}

/** Store the rate (x0, x1) little-endian into out[o..o+16). */
function squeezeBlock(s: Int32Array, out: Uint8Array, o: number): void {
  store32(out, o, s[1]!);
  store32(out, o + 4, s[0]!);
  store32(out, o + 8, s[3]!);
  store32(out, o + 12, s[2]!);
}

/** Overwrite the rate (x0, x1) with the 16-byte block at b[o..o+16), little-endian. */
function replaceBlock(s: Int32Array, b: Uint8Array, o: number): void {
  s[1] = load32(b, o);
  s[0] = load32(b, o + 4);
  s[3] = load32(b, o + 8);
  s[2] = load32(b, o + 12);
}

function checkLengths(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== KEY_BYTES) {
    throw new Error(`Ascon-AEAD128: key must be ${KEY_BYTES} bytes, got ${key.length}`);
  }
  if (nonce.length !== NONCE_BYTES) {
    throw new Error(`Ascon-AEAD128: nonce must be ${NONCE_BYTES} bytes, got ${nonce.length}`);
  }
}

/**
 * Initialisation (SP 800-232 §4.1.1) and associated-data processing (§4.1.2), ending with the
 * domain-separation bit. Returns the state ready for the plaintext phase.
 */
function start(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array): Int32Array {
  const s = new Int32Array(10);
  s[0] = IV_HI;
  s[1] = IV_LO;
  s[3] = load32(key, 0);
  s[2] = load32(key, 4);
  s[5] = load32(key, 8);
  s[4] = load32(key, 12);
  s[7] = load32(nonce, 0);
  s[6] = load32(nonce, 4);
  s[9] = load32(nonce, 8);
  s[8] = load32(nonce, 12);
  permute(s, 12);
  // S <- S xor (0^192 || K)
  s[6]! ^= load32(key, 4);
  s[7]! ^= load32(key, 0);
  s[8]! ^= load32(key, 12);
  s[9]! ^= load32(key, 8);

  // §4.1.2: only non-empty AD is absorbed; it is padded with 0x01 then zeros to a multiple of the
  // rate, so a full final block is followed by a block holding just the padding byte.
  if (ad.length > 0) {
    const full = ad.length - (ad.length % RATE);
    for (let o = 0; o < full; o += RATE) {
      absorbBlock(s, ad, o);
      permute(s, 8);
    }
    const last = new Uint8Array(RATE);
    last.set(ad.subarray(full));
    last[ad.length - full] = 0x01;
    absorbBlock(s, last, 0);
    permute(s, 8);
  }
  // Domain separation: S <- S xor (0^319 || 1), i.e. the most significant bit of x4.
  s[8]! ^= 0x80000000 | 0;
  return s;
}

/** Finalisation (SP 800-232 §4.1.4): key into x2, x3; p[12]; tag = (x3, x4) xor K, little-endian. */
function finish(s: Int32Array, key: Uint8Array, tag: Uint8Array, o: number): void {
  const k0l = load32(key, 0);
  const k0h = load32(key, 4);
  const k1l = load32(key, 8);
  const k1h = load32(key, 12);
  s[4]! ^= k0h;
  s[5]! ^= k0l;
  s[6]! ^= k1h;
  s[7]! ^= k1l;
  permute(s, 12);
  store32(tag, o, s[7]! ^ k0l);
  store32(tag, o + 4, s[6]! ^ k0h);
  store32(tag, o + 8, s[9]! ^ k1l);
  store32(tag, o + 12, s[8]! ^ k1h);
}

/**
 * Ascon-AEAD128 encryption (SP 800-232 Algorithm 3).
 * @returns ciphertext (same length as `plaintext`) followed by the 16-byte tag.
 */
export function asconAead128Encrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  checkLengths(key, nonce);
  const s = start(key, nonce, ad);
  const n = plaintext.length;
  const out = new Uint8Array(n + TAG_BYTES);

  // §4.1.3: full blocks: C_i = S[0:128] ^= P_i, then p[8].
  const full = n - (n % RATE);
  for (let o = 0; o < full; o += RATE) {
    absorbBlock(s, plaintext, o);
    squeezeBlock(s, out, o);
    permute(s, 8);
  }
  // Last (possibly empty) block, padded with 0x01; only its first n - full bytes are output.
  const rem = n - full;
  const last = new Uint8Array(RATE);
  last.set(plaintext.subarray(full));
  last[rem] = 0x01;
  absorbBlock(s, last, 0);
  squeezeBlock(s, last, 0);
  out.set(last.subarray(0, rem), full);

  finish(s, key, out, n);
  return out;
}

/**
 * Ascon-AEAD128 decryption (SP 800-232 Algorithm 4).
 * @returns the plaintext, or null if the tag does not verify or the input is shorter than the tag
 *   (no plaintext is released then).
 */
export function asconAead128Decrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  ciphertextAndTag: Uint8Array,
): Uint8Array | null {
  checkLengths(key, nonce);
  // Input shorter than the tag cannot authenticate: the same answer as a wrong tag (SP 800-232
  // Algorithm 4 returns FAIL), never an exception on a path fed by the network.
  if (ciphertextAndTag.length < TAG_BYTES) return null;
  const s = start(key, nonce, ad);
  const n = ciphertextAndTag.length - TAG_BYTES;
  const pt = new Uint8Array(n);

  // §4.1.3: full blocks: P_i = S[0:128] ^ C_i, then S[0:128] = C_i, then p[8].
  const full = n - (n % RATE);
  for (let o = 0; o < full; o += RATE) {
    absorbBlock(s, ciphertextAndTag, o);
    squeezeBlock(s, pt, o);
    replaceBlock(s, ciphertextAndTag, o);
    permute(s, 8);
  }
  // Last partial block: P = S ^ C on the first rem bytes; those state bytes become C, and the
  // padding byte 0x01 is XORed in just after them.
  const rem = n - full;
  const last = new Uint8Array(RATE);
  squeezeBlock(s, last, 0);
  for (let i = 0; i < rem; i++) {
    const c = ciphertextAndTag[full + i]!;
    pt[full + i] = last[i]! ^ c;
    last[i] = c;
  }
  last[rem]! ^= 0x01;
  replaceBlock(s, last, 0);

  const tag = new Uint8Array(TAG_BYTES);
  finish(s, key, tag, 0);
  // Constant-time comparison: accumulate over every byte, no early exit.
  let diff = 0;
  for (let i = 0; i < TAG_BYTES; i++) diff |= tag[i]! ^ ciphertextAndTag[n + i]!;
  if (diff !== 0) {
    pt.fill(0);
    return null;
  }
  return pt;
}
