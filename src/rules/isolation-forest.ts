/**
 * Isolation forest (Liu, Ting and Zhou, "Isolation Forest", ICDM 2008). Anomalies are few and
 * different, so random axis-parallel splits isolate them in fewer steps than normal points.
 *
 * - Each tree is grown on a subsample of ψ points drawn without replacement, to height limit
 *   ceil(log2 ψ) (Algorithm 2): pick a feature at random among those not constant in the node,
 *   split uniformly between its min and max.
 * - Path length h(x) (Algorithm 3): edges to the external node plus c(size) for the points left
 *   unsplit there, where c(n) = 2·H(n-1) - 2(n-1)/n, H(i) ≈ ln(i) + Euler's constant, c(2) = 1,
 *   c(n <= 1) = 0 (the average path length of an unsuccessful BST search, eq. 1).
 * - Score s(x, ψ) = 2^(-E[h(x)] / c(ψ)) (eq. 2): near 1 anomalous, well below 0.5 normal.
 *
 * Storage is compact and fixed by (trees, ψ): a tree of height limit h is a complete binary tree
 * of 2^(h+1) - 1 slots in flat typed arrays (children of slot i at 2i+1 and 2i+2), with a 32-bit
 * float split, an 8-bit feature and a 16-bit size per slot: about 3.6 KiB per tree at ψ = 256,
 * 1.5 KiB at ψ = 128, whatever the data. Randomness comes from the caller's generator, so a seed
 * fixes the forest.
 */

/** A source of uniform numbers in [0, 1) (the simulator's `Rng` fits). */
export interface RandomSource {
  next(): number;
}

export interface IsolationForestOptions {
  /** Number of trees, default 100 (the paper's t). */
  readonly trees?: number;
  /** Subsample size ψ, default 256, at most 65535. */
  readonly sampleSize?: number;
  readonly rng: RandomSource;
}

export interface IsolationForest {
  readonly trees: number;
  /** ψ actually used: min(sampleSize, training points). */
  readonly sampleSize: number;
  readonly dimensions: number;
  /** Bytes held by the trees' arrays. */
  readonly bytes: number;
  /** Mean path length E[h(x)] over the trees. */
  pathLength(x: ArrayLike<number>): number;
  /** Anomaly score s(x, ψ) in (0, 1]. */
  score(x: ArrayLike<number>): number;
}

const EULER_GAMMA = 0.5772156649015329;
const EXTERNAL = -1;

/** c(n): average path length of an unsuccessful search in a binary search tree of n points. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/**
 * Trains a forest on `rows` points of `dims` features, row-major in `data` (all finite).
 * `rows` >= 1 and at most 255 features.
 */
export function trainIsolationForestFlat(
  data: ArrayLike<number>,
  rows: number,
  dims: number,
  options: IsolationForestOptions,
): IsolationForest {
  if (rows < 1) throw new RangeError('no training data');
  if (dims < 1 || dims > 127 || data.length < rows * dims) throw new RangeError('bad training shape');
  const values = data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number>);
  for (let i = 0; i < rows * dims; i++) {
    if (!Number.isFinite(values[i] as number)) throw new RangeError('training rows must be finite');
  }
  const nTrees = options.trees ?? 100;
  const psi = Math.min(options.sampleSize ?? 256, rows, 65_535);
  const height = Math.ceil(Math.log2(Math.max(psi, 2)));
  const slots = 2 ** (height + 1) - 1;
  const feature = new Int8Array(nTrees * slots).fill(EXTERNAL);
  const split = new Float32Array(nTrees * slots);
  const size = new Uint16Array(nTrees * slots);
  const rng = options.rng;
  const pool = new Int32Array(rows);
  for (let i = 0; i < rows; i++) pool[i] = i;
  const idx = new Int32Array(psi);
  const tmp = new Int32Array(psi);
  const mins = new Float64Array(dims);
  const maxs = new Float64Array(dims);
  const candidates = new Int32Array(dims);

  // grows slot `node` of tree `base` from idx[lo, hi)
  const grow = (base: number, node: number, lo: number, hi: number, depth: number): void => {
    const at = base + node;
    size[at] = hi - lo;
    if (depth >= height || hi - lo <= 1) return;
    mins.fill(Number.POSITIVE_INFINITY);
    maxs.fill(Number.NEGATIVE_INFINITY);
    for (let k = lo; k < hi; k++) {
      const off = (idx[k] as number) * dims;
      for (let q = 0; q < dims; q++) {
        const v = values[off + q] as number;
        if (v < (mins[q] as number)) mins[q] = v;
        if (v > (maxs[q] as number)) maxs[q] = v;
      }
    }
    let nc = 0;
    for (let q = 0; q < dims; q++) {
      // a split must separate values that differ even as 32-bit floats
      if (Math.fround(maxs[q] as number) > Math.fround(mins[q] as number)) candidates[nc++] = q;
    }
    if (nc === 0) return; // all points identical: cannot be split
    const q = candidates[Math.floor(rng.next() * nc)] as number;
    const lo_ = mins[q] as number;
    const hi_ = maxs[q] as number;
    let p = Math.fround(lo_ + rng.next() * (hi_ - lo_));
    if (p <= Math.fround(lo_) || p > Math.fround(hi_)) p = Math.fround((lo_ + hi_) / 2);
    if (p <= Math.fround(lo_)) p = Math.fround(hi_);
    // partition idx[lo, hi) by data < p, stable enough for our purpose
    let l = lo;
    let r = hi;
    let t = 0;
    for (let k = lo; k < hi; k++) {
      const i = idx[k] as number;
      if ((values[i * dims + q] as number) < p) idx[l++] = i;
      else tmp[t++] = i;
    }
    for (let k = 0; k < t; k++) idx[l + k] = tmp[k] as number;
    r = l;
    feature[at] = q;
    split[at] = p;
    grow(base, 2 * node + 1, lo, r, depth + 1);
    grow(base, 2 * node + 2, r, hi, depth + 1);
  };

  for (let tIdx = 0; tIdx < nTrees; tIdx++) {
    // partial Fisher-Yates: the first psi entries become a sample without replacement
    for (let i = 0; i < psi; i++) {
      const j = i + Math.floor(rng.next() * (rows - i));
      const v = pool[i] as number;
      pool[i] = pool[j] as number;
      pool[j] = v;
      idx[i] = pool[i] as number;
    }
    grow(tIdx * slots, 0, 0, psi, 0);
  }

  const cPsi = averagePathLength(psi);
  const pathLength = (x: ArrayLike<number>): number => {
    let sum = 0;
    for (let tIdx = 0; tIdx < nTrees; tIdx++) {
      const base = tIdx * slots;
      let node = 0;
      let depth = 0;
      for (;;) {
        const q = feature[base + node] as number;
        if (q === EXTERNAL) {
          sum += depth + averagePathLength(size[base + node] as number);
          break;
        }
        node = (x[q] as number) < (split[base + node] as number) ? 2 * node + 1 : 2 * node + 2;
        depth++;
      }
    }
    return sum / nTrees;
  };
  return {
    trees: nTrees,
    sampleSize: psi,
    dimensions: dims,
    bytes: feature.byteLength + split.byteLength + size.byteLength,
    pathLength,
    // with psi = 1 every path is 0 and c(1) = 0: nothing can be told apart, score 0.5 by convention
    score: (x) => (cPsi > 0 ? 2 ** (-pathLength(x) / cPsi) : 0.5),
  };
}

/** Trains a forest on the rows of `data` (all the same length, at least one row). */
export function trainIsolationForest(
  data: readonly (readonly number[])[],
  options: IsolationForestOptions,
): IsolationForest {
  if (data.length === 0) throw new RangeError('no training data');
  const dims = (data[0] as readonly number[]).length;
  if (data.some((row) => row.length !== dims)) {
    throw new RangeError('training rows must be finite and of equal length');
  }
  const flat = new Float64Array(data.length * dims);
  data.forEach((row, i) => {
    flat.set(row, i * dims);
  });
  return trainIsolationForestFlat(flat, data.length, dims, options);
}
