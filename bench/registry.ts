import { readdirSync } from 'node:fs';
import type { BenchEntry } from './entry.ts';

const DIR = new URL('./entries/', import.meta.url);

/**
 * Every workload: each file of bench/entries exports one `entry`. Found by listing the folder,
 * so a new workload is a new file and nothing else; ordered by `order`, then id.
 */
export async function loadEntries(): Promise<BenchEntry[]> {
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .sort();
  const entries: BenchEntry[] = [];
  for (const f of files) {
    const mod = (await import(new URL(f, DIR).href)) as { entry?: BenchEntry };
    if (!mod.entry) throw new Error(`bench/entries/${f} exports no \`entry\``);
    entries.push(mod.entry);
  }
  const ids = new Set<string>();
  for (const e of entries) {
    if (ids.has(e.id)) throw new Error(`two bench entries are named ${e.id}`);
    ids.add(e.id);
  }
  return entries.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}
