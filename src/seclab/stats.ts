/** Percentile (nearest rank, p in 0..100) of an unsorted sample; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** `12.3 ms`, `n/a` for NaN. */
export function fmtMs(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(v < 10 ? 1 : 0)} ms` : 'n/a';
}

/** `99.5 %` */
export function fmtPct(v: number): string {
  return Number.isFinite(v) ? `${(v * 100).toFixed(v === 1 ? 0 : 1)} %` : 'n/a';
}

/** `1.9 MiB` */
export function fmtBytes(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (v < 1024) return `${v} B`;
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(1)} KiB`;
  return `${(v / 1024 / 1024).toFixed(1)} MiB`;
}
