/**
 * Which backups to keep (grandfather-father-son): the newest backup of each of the last `hourly`
 * hours, `daily` days and `monthly` months that have one, in UTC, plus always the newest backup.
 * Pure: the caller removes the rest.
 */
export interface KeepPolicy {
  hourly: number;
  daily: number;
  monthly: number;
}

const bucket = {
  hourly: (t: number) => new Date(t).toISOString().slice(0, 13),
  daily: (t: number) => new Date(t).toISOString().slice(0, 10),
  monthly: (t: number) => new Date(t).toISOString().slice(0, 7),
} as const;

/** The creation times to keep, from `times` (any order). */
export function backupsToKeep(times: readonly number[], policy: KeepPolicy): Set<number> {
  const newestFirst = [...times].sort((a, b) => b - a);
  const keep = new Set<number>();
  if (newestFirst[0] !== undefined) keep.add(newestFirst[0]);
  for (const kind of ['hourly', 'daily', 'monthly'] as const) {
    const seen = new Set<string>();
    for (const t of newestFirst) {
      if (seen.size >= policy[kind]) break;
      const b = bucket[kind](t);
      if (seen.has(b)) continue;
      seen.add(b);
      keep.add(t);
    }
  }
  return keep;
}
