import { closeSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';

/** Options of {@link RotatingFile}. */
export interface RotatingFileOptions {
  path: string;
  /** Rotate before a write would take the file past this size. */
  maxBytes: number;
  /** Rotated files kept: `path.1` (newest) … `path.N`; older ones are overwritten. */
  maxFiles: number;
}

/**
 * An append-only log file rotated by size, for operators without journald: `vigil.log` is
 * renamed to `vigil.log.1`, `.1` to `.2` and so on up to `maxFiles`, and a new file is started.
 * Writes are synchronous (like pino's default destination), so a line is on its way to disk
 * before the call returns and nothing is lost at exit. Mode 0600: logs name addresses and ids.
 */
export class RotatingFile {
  readonly #o: RotatingFileOptions;
  #fd: number;
  #size: number;

  constructor(o: RotatingFileOptions) {
    if (!(o.maxBytes > 0) || !(o.maxFiles >= 1)) throw new RangeError('maxBytes > 0 and maxFiles >= 1');
    this.#o = o;
    this.#fd = openSync(o.path, 'a', 0o600);
    this.#size = fstatSync(this.#fd).size;
  }

  write(data: string): boolean {
    const bytes = Buffer.from(data, 'utf8');
    if (this.#size > 0 && this.#size + bytes.length > this.#o.maxBytes) this.#rotate();
    writeSync(this.#fd, bytes);
    this.#size += bytes.length;
    return true;
  }

  /** Writes are synchronous: nothing to flush (pino calls this on `logger.flush()`). */
  flushSync(): void {}

  flush(cb?: (err?: Error) => void): void {
    cb?.();
  }

  end(): void {
    closeSync(this.#fd);
  }

  #rotate(): void {
    closeSync(this.#fd);
    const { path, maxFiles } = this.#o;
    for (let i = maxFiles - 1; i >= 1; i--) {
      try {
        renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      } catch {
        /* not there yet */
      }
    }
    renameSync(path, `${path}.1`);
    this.#fd = openSync(path, 'a', 0o600);
    this.#size = 0;
  }
}
