import { readdirSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { VigilContext } from '../data-dir/context.ts';

/**
 * The Vigil under attack, as seclab sees it: where it listens (always reached through 127.0.0.1),
 * its CA, its process (for CPU, memory and log figures) and its data directory, opened in seclab's
 * own process the way `vigil device add` opens it beside a running server, to provision throwaway
 * devices and users.
 */
export interface Target {
  kind: 'throwaway' | 'data-dir';
  ctx: VigilContext;
  mqttPort: number;
  httpPort: number;
  /** `mqtts://127.0.0.1:<port>` */
  readonly mqttUrl: string;
  /** `https://127.0.0.1:<port>` */
  readonly httpUrl: string;
  caPem: string;
  /** The server's process id, when seclab can see it. */
  pid(): number | null;
  /** The log file (rotated ones beside it count too), or null when the target logs to a stream. */
  logFile: string | null;
  /** True when seclab may restart the target (its own throwaway instance only). */
  canRestart: boolean;
  restart(): Promise<void>;
  /** Stops a throwaway instance and removes its directory; closes the data directory otherwise. */
  close(): Promise<void>;
}

/** Bytes in `file` and its rotated siblings (`file.1`, `file.2`, ...); 0 when none exists. */
export function logBytes(file: string): number {
  const dir = dirname(file);
  const base = basename(file);
  let total = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const n of names) {
    if (n !== base && !(n.startsWith(`${base}.`) && /^\d+$/.test(n.slice(base.length + 1)))) continue;
    try {
      total += statSync(`${dir}/${n}`).size;
    } catch {
      /* rotated away meanwhile */
    }
  }
  return total;
}
