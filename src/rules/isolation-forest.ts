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
 * Randomness comes from the caller's generator, so a seed fixes the forest.
 */

/** A source of uniform numbers in [0, 1) (the simulator's `Rng` fits). */
export interface RandomSource {
  next(): number;
}

export interface IsolationForestOptions {
  /** Number of trees, default 100 (the paper's t). */
  readonly trees?: number;
  /** Subsample size ψ, default 256. */
  readonly sampleSize?: number;
  readonly rng: RandomSource;
}

export interface IsolationForest {
  readonly trees: number;
  /** ψ actually used: min(sampleSize, training points). */
  readonly sampleSize: number;
  readonly dimensions: number;
  /** Mean path length E[h(x)] over the trees. */
  pathLength(x: readonly number[]): number;
  /** Anomaly score s(x, ψ) in (0, 1]. */
  score(x: readonly number[]): number;
}

const EULER_GAMMA = 0.5772156649015329;

/** c(n): average path length of an unsuccessful search in a binary search tree of n points. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** One tree in flat arrays; feature -1 marks an external node holding `size` points. */
interface Tree {
  feature: Int32Array;
  split: Float64Array;
  left: Int32Array;
  right: Int32Array;
  size: Int32Array;
}

function growTree(
  data: readonly (readonly number[])[],
  sample: number[],
  heightLimit: number,
  dims: number,
  rng: RandomSource,
): Tree {
  const cap = 2 * sample.length + 1;
  const t: Tree = {
    feature: new Int32Array(cap).fill(-1),
    split: new Float64Array(cap),
    left: new Int32Array(cap),
    right: new Int32Array(cap),
    size: new Int32Array(cap),
  };
  let used = 0;
  const mins = new Float64Array(dims);
  const maxs = new Float64Array(dims);
  const build = (idx: number[], depth: number): number => {
    const node = used++;
    t.size[node] = idx.length;
    if (depth >= heightLimit || idx.length <= 1) return node;
    mins.fill(Number.POSITIVE_INFINITY);
    maxs.fill(Number.NEGATIVE_INFINITY);
    for (const i of idx) {
      const row = data[i] as readonly number[];
      for (let q = 0; q < dims; q++) {
        const v = row[q] as number;
        if (v < (mins[q] as number)) mins[q] = v;
        if (v > (maxs[q] as number)) maxs[q] = v;
      }
    }
    const candidates: number[] = [];
    for (let q = 0; q < dims; q++) if ((maxs[q] as number) > (mins[q] as number)) candidates.push(q);
    if (candidates.length === 0) return node; // all points identical: cannot be split
    const q = candidates[Math.floor(rng.next() * candidates.length)] as number;
    const lo = mins[q] as number;
    const hi = maxs[q] as number;
    let p = lo + rng.next() * (hi - lo);
    if (p <= lo) p = (lo + hi) / 2; // keep both sides non-empty
    const l: number[] = [];
    const r: number[] = [];
    for (const i of idx) {
      if (((data[i] as readonly number[])[q] as number) < p) l.push(i);
      else r.push(i);
    }
    t.feature[node] = q;
    t.split[node] = p;
    t.left[node] = build(l, depth + 1);
    t.right[node] = build(r, depth + 1);
    return node;
  };
  build(sample, 0);
  return t;
}

function treePath(t: Tree, x: readonly number[]): number {
  let node = 0;
  let depth = 0;
  for (;;) {
    const q = t.feature[node] as number;
    if (q < 0) return depth + averagePathLength(t.size[node] as number);
    node = ((x[q] as number) < (t.split[node] as number) ? t.left[node] : t.right[node]) as number;
    depth++;
  }
}

/** Trains a forest on the rows of `data` (all the same length, at least one row). */
export function trainIsolationForest(
  data: readonly (readonly number[])[],
  options: IsolationForestOptions,
): IsolationForest {
  if (data.length === 0) throw new RangeError('no training data');
  const dims = (data[0] as readonly number[]).length;
  if (data.some((row) => row.length !== dims || row.some((v) => !Number.isFinite(v)))) {
    throw new RangeError('training rows must be finite and of equal length');
  }
  const nTrees = options.trees ?? 100;
  const psi = Math.min(options.sampleSize ?? 256, data.length);
  const heightLimit = Math.ceil(Math.log2(Math.max(psi, 2)));
  const rng = options.rng;
  const pool = data.map((_, i) => i);
  const forest: Tree[] = [];
  for (let k = 0; k < nTrees; k++) {
    // partial Fisher-Yates: the first psi entries become a sample without replacement
    for (let i = 0; i < psi; i++) {
      const j = i + Math.floor(rng.next() * (pool.length - i));
      const tmp = pool[i] as number;
      pool[i] = pool[j] as number;
      pool[j] = tmp;
    }
    forest.push(growTree(data, pool.slice(0, psi), heightLimit, dims, rng));
  }
  const cPsi = averagePathLength(psi);
  const pathLength = (x: readonly number[]) => {
    let sum = 0;
    for (const t of forest) sum += treePath(t, x);
    return sum / forest.length;
  };
  return {
    trees: nTrees,
    sampleSize: psi,
    dimensions: dims,
    pathLength,
    // with psi = 1 every path is 0 and c(1) = 0: nothing can be told apart, score 0.5 by convention
    score: (x) => (cPsi > 0 ? 2 ** (-pathLength(x) / cPsi) : 0.5),
  };
}
