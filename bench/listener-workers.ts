/**
 * `--listener-workers=N[,M...]`: the `mqtt.listenerWorkers` setting (TLS offload workers) of the
 * Vigil instances the bench starts. One value applies to the shared instance (W1, latency, ...)
 * and to the many-devices workload; the `workers` workload compares every value in one run.
 */
export function listenerWorkersArg(args: Readonly<Record<string, unknown>>): number[] | undefined {
  const raw = args['listener-workers'];
  if (raw === undefined) return undefined;
  const values = String(raw)
    .split(',')
    .map((v) => Number(v.trim()));
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 0 || v > 16)) {
    throw new RangeError(`--listener-workers: integers 0..16, comma-separated (got ${String(raw)})`);
  }
  return values;
}

/** The one value for a single instance (the first one given), or 0. */
export function listenerWorkersOf(args: Readonly<Record<string, unknown>>): number {
  return listenerWorkersArg(args)?.[0] ?? 0;
}
