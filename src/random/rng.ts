/**
 * Seeded pseudo-random numbers for the pure simulation models. Models never call Math.random():
 * an {@link Rng} is passed in, so a run is reproducible from its seed.
 *
 * Not a CSPRNG. Whatever a real device would draw from a cryptographic source (delivery tokens)
 * is only as unpredictable as the Rng the caller injects.
 */

/** A source of uniform numbers in [0, 1). */
export interface Rng {
  next(): number;
}

/** 32-bit FNV-1a of a string, for turning names and labels into seeds. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** SplitMix32 step (Vigna's mixer), used only to expand one seed into xoshiro's 128-bit state. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * xoshiro128** 1.1 (Blackman and Vigna, https://prng.di.unimi.it/xoshiro128starstar.c),
 * seeded through SplitMix32. A string seed is hashed first.
 */
export function createRng(seed: number | string): Rng {
  const mix = { s: (typeof seed === 'string' ? hashSeed(seed) : seed) | 0 };
  let a = splitmix32(mix);
  let b = splitmix32(mix);
  let c = splitmix32(mix);
  let d = splitmix32(mix);
  // the all-zero state is the one fixed point of xoshiro; SplitMix32 never yields it, but be sure
  if ((a | b | c | d) === 0) a = 1;
  return {
    next(): number {
      const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = rotl(d, 11);
      return r / 4294967296;
    },
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A child generator seeded from the parent, so sub-models draw from independent streams. */
export function forkRng(rng: Rng): Rng {
  return createRng(Math.floor(rng.next() * 4294967296));
}

/** Uniform in [min, max). */
export function uniform(rng: Rng, min: number, max: number): number {
  return min + (max - min) * rng.next();
}

/** Uniform integer in [min, max], both inclusive. */
export function randInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng.next() * (max - min + 1));
}

/** True with probability p. Always draws once, so the stream stays aligned whatever p is. */
export function chance(rng: Rng, p: number): boolean {
  return rng.next() < p;
}

/** Normal deviate by the Box–Muller transform; draws exactly two numbers. */
export function gaussian(rng: Rng, mean = 0, sd = 1): number {
  const u1 = 1 - rng.next(); // (0, 1], keeps log() finite
  const u2 = rng.next();
  return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Normal deviate clipped to mean ± limit·sd, for sensor noise that must not break plausibility. */
export function clippedGaussian(rng: Rng, mean: number, sd: number, limit = 3): number {
  const z = Math.max(-limit, Math.min(limit, gaussian(rng)));
  return mean + sd * z;
}

/** Exponentially distributed duration with the given mean. */
export function exponential(rng: Rng, mean: number): number {
  return -mean * Math.log(1 - rng.next());
}

/** One element of a non-empty list, uniformly. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick() from an empty list');
  return items[Math.floor(rng.next() * items.length)] as T;
}

/** `length` characters drawn uniformly from `alphabet`. */
export function randomString(rng: Rng, length: number, alphabet: string): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet.charAt(Math.floor(rng.next() * alphabet.length));
  return out;
}
