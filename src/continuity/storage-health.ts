import { closeSync, existsSync, fsyncSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Space kept in reserve on the data volume (`<data-dir>/.space-reserve`): released when the volume
 * fills, so the disk-full alarm and its audit entry can still be written; re-created once space
 * is back.
 */
export const RESERVE_BYTES = 8 * 1024 * 1024;

import type { Condition } from '../alarms/condition.ts';

/** A storage failure that means the volume is full (the store wraps the driver's error). */
export function isDiskFull(err: unknown): boolean {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: string }).code ?? '';
    const msg = (e as { message?: string }).message ?? '';
    if (/SQLITE_FULL|ENOSPC/.test(code) || /SQLITE_FULL|ENOSPC|database or disk is full/.test(msg))
      return true;
  }
  return false;
}

export interface DiskStatus {
  freeBytes: number | null;
  totalBytes: number | null;
  /** Database files (main, WAL, SHM). */
  dbBytes: number;
  /** Growth at the current ingest rate. */
  growthBytesPerDay: number | null;
  /** Days until the volume is full at that rate; null while nothing is being stored. */
  forecastDays: number | null;
  minFreeDays: number;
  /** The volume filled: readings are not acknowledged and the dashboard is read-only. */
  full: { since: number; detail: string } | null;
}

/**
 * The data volume: free space (statfs), a forecast of days until full at the current ingest rate
 * (readings per second × the database's bytes per reading), and the disk-full state, entered when
 * a commit fails with SQLITE_FULL / ENOSPC and left at the next commit that succeeds.
 */
export class StorageHealth {
  readonly #dir: string;
  readonly #minFreeDays: number;
  readonly #reserve: string;
  #full: DiskStatus['full'] = null;
  #last: DiskStatus;

  constructor(o: { dataDir: string; minFreeDays: number }) {
    this.#dir = o.dataDir;
    this.#minFreeDays = o.minFreeDays;
    this.#reserve = join(o.dataDir, '.space-reserve');
    this.#ensureReserve();
    this.#last = {
      freeBytes: null,
      totalBytes: null,
      dbBytes: 0,
      growthBytesPerDay: null,
      forecastDays: null,
      minFreeDays: o.minFreeDays,
      full: null,
    };
  }

  #ensureReserve(): void {
    if (existsSync(this.#reserve)) return;
    let fd: number | undefined;
    try {
      fd = openSync(this.#reserve, 'w', 0o600);
      const chunk = Buffer.alloc(1024 * 1024);
      for (let n = 0; n < RESERVE_BYTES; n += chunk.length) writeSync(fd, chunk);
      fsyncSync(fd);
    } catch {
      // no room for it: the volume is nearly full already; try again at the next measurement
      rmSync(this.#reserve, { force: true });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** A commit failed: if the volume is full, enter the disk-full state and free the reserve. */
  failed(err: unknown, now: number): void {
    if (!isDiskFull(err) || this.#full) return;
    this.#full = { since: now, detail: (err as Error).message.slice(0, 200) };
    rmSync(this.#reserve, { force: true });
  }

  /** Whether writes may go on: false while the volume is full (until `measure` sees room again). */
  get writable(): boolean {
    return this.#full === null;
  }

  /** Leaves the disk-full state when the volume has room for the reserve twice over. */
  #recover(freeBytes: number | null): boolean {
    if (!this.#full || freeBytes === null || freeBytes < 3 * RESERVE_BYTES) return false;
    this.#full = null;
    this.#ensureReserve();
    return true;
  }

  get full(): DiskStatus['full'] {
    return this.#full;
  }

  /** Re-measures; `readingsPerSec` and `readings` from ingest, `dbBytes` from the files. */
  measure(p: { readingsPerSec: number; readings: number; dbBytes: number }): DiskStatus {
    let freeBytes: number | null = null;
    let totalBytes: number | null = null;
    try {
      const s = statfsSync(this.#dir);
      freeBytes = s.bavail * s.bsize;
      totalBytes = s.blocks * s.bsize;
    } catch {
      // an unreadable volume is reported as unknown
    }
    const recovered = this.#recover(freeBytes);
    if (!this.#full && !recovered) this.#ensureReserve();
    const perReading = p.readings > 0 ? p.dbBytes / p.readings : null;
    const growth = perReading !== null ? p.readingsPerSec * 86_400 * perReading : null;
    this.#last = {
      freeBytes,
      totalBytes,
      dbBytes: p.dbBytes,
      growthBytesPerDay: growth,
      forecastDays: growth && growth > 0 && freeBytes !== null ? freeBytes / growth : null,
      minFreeDays: this.#minFreeDays,
      full: this.#full,
    };
    return this.#last;
  }

  status(): DiskStatus {
    return { ...this.#last, full: this.#full };
  }

  conditions(): Condition[] {
    const s = this.status();
    return [
      {
        rule: 'disk-full',
        active: s.full !== null,
        severity: 'critical',
        message: 'data volume full: readings are not acknowledged (devices keep them), dashboard read-only',
        ...(s.full ? { since: s.full.since } : {}),
      },
      {
        rule: 'disk-forecast',
        active: s.forecastDays !== null && s.forecastDays < s.minFreeDays,
        severity: 'warning',
        message: `data volume full in ${s.forecastDays?.toFixed(1)} days at the current ingest rate (storage.minFreeDays ${s.minFreeDays})`,
      },
    ];
  }
}
