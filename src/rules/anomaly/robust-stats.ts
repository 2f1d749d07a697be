/**
 * Robust location and scale: median, median absolute deviation (MAD) and quantiles, by
 * selection (Hoare's quickselect, expected linear time) rather than sorting. The MAD is scaled by
 * 1.4826 so it estimates the standard deviation of normal data (Rousseeuw and Croux,
 * "Alternatives to the median absolute deviation", JASA 1993); unlike the SD, one wild value in
 * fifty barely moves it. Every function reorders the scratch array it is given.
 */

/** The k-th smallest (0-based) of `a[0..n)`; reorders `a`. */
export function selectInPlace(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    // median of three as the pivot keeps sorted or constant runs from going quadratic
    const mid = (lo + hi) >>> 1;
    const x = a[lo] as number;
    const y = a[mid] as number;
    const z = a[hi] as number;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k] as number;
  }
  return a[k] as number;
}

/** Median of `a[0..n)`; reorders `a`. NaN when n = 0. */
export function medianInPlace(a: Float64Array, n: number): number {
  if (n <= 0) return Number.NaN;
  const hi = selectInPlace(a, n, n >> 1);
  if (n % 2 === 1) return hi;
  // the lower middle is the largest value left of the upper one after selection
  let lo = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n >> 1; i++) if ((a[i] as number) > lo) lo = a[i] as number;
  return (lo + hi) / 2;
}

/** Quantile (linear between order statistics, 0 <= q <= 1) of `a[0..n)`; reorders `a`. */
export function quantileInPlace(a: Float64Array, n: number, q: number): number {
  if (n <= 0) return Number.NaN;
  const pos = q * (n - 1);
  const k = Math.floor(pos);
  const lo = selectInPlace(a, n, k);
  if (k + 1 >= n || pos === k) return lo;
  // the next order statistic is the smallest value right of k
  let hi = Number.POSITIVE_INFINITY;
  for (let i = k + 1; i < n; i++) if ((a[i] as number) < hi) hi = a[i] as number;
  return lo + (hi - lo) * (pos - k);
}

/** 1.4826 × MAD: a robust standard deviation. */
export const MAD_TO_SD = 1.4826;

export interface RobustSummary {
  readonly median: number;
  /** 1.4826 × MAD. */
  readonly sd: number;
  /** The `tail` and `1 - tail` quantiles. */
  readonly low: number;
  readonly high: number;
}

/** Median, robust SD and the `tail` and `1 - tail` quantiles of `a[0..n)`; overwrites `a`. */
export function robustSummary(a: Float64Array, n: number, tail: number): RobustSummary {
  const low = quantileInPlace(a, n, tail);
  const high = quantileInPlace(a, n, 1 - tail);
  const median = medianInPlace(a, n);
  for (let i = 0; i < n; i++) a[i] = Math.abs((a[i] as number) - median);
  return { median, sd: MAD_TO_SD * medianInPlace(a, n), low, high };
}
