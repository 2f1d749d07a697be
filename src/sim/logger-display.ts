/**
 * What a simulated logger's display shows: the current trip's batch id and delivery token (a real
 * logger shows the token on its screen for the receiver to type in), kept in the device's sim
 * directory. It lets a restarted demo continue its trips (the model repeats the same dispatch)
 * and lets the dashboard show operators a "logger display" for simulated trucks, so proof of
 * delivery can be tried end to end. Only simulated devices have one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.ts';

export interface LoggerDisplay {
  batch: string;
  token: string;
  /** The dispatch event's time, ms since the epoch. */
  dispatchedAt: number;
  /** The trip's label (`Amsterdam → Antwerp`). */
  shipment: string | null;
  /** The route the trip runs on (src/sim/model/routes.ts id), to resume it. */
  routeId: string | null;
}

const FILE = 'display.json';

/** The display of the simulated device whose bundle is in `dir`, or null (none yet, or unreadable). */
export function readLoggerDisplay(dir: string): LoggerDisplay | null {
  const path = join(dir, FILE);
  if (!existsSync(path)) return null;
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<LoggerDisplay>;
    if (typeof v.batch !== 'string' || typeof v.token !== 'string' || typeof v.dispatchedAt !== 'number')
      return null;
    return {
      batch: v.batch,
      token: v.token,
      dispatchedAt: v.dispatchedAt,
      shipment: typeof v.shipment === 'string' ? v.shipment : null,
      routeId: typeof v.routeId === 'string' ? v.routeId : null,
    };
  } catch {
    return null;
  }
}

/** Written when the logger dispatches a trip; owner-only, like the bundle it sits beside. */
export function writeLoggerDisplay(dir: string, d: LoggerDisplay): void {
  writeFileAtomic(join(dir, FILE), `${JSON.stringify(d)}\n`, 0o600);
}
